import { Module } from '@nestjs/common';
import { AuthModule } from '#libs/auth';
import { ProjectsModule } from '#libs/projects';
import { RateLimitModule } from '#libs/rate-limit';
import { StripeModule } from '#libs/stripe';
import { CredentialValidationService } from './credential-validation.service.js';
import { CustomerLinksService } from './customer-links.service.js';
import { StripeToolsController } from './stripe-tools.controller.js';
import { WebhookUrlsService } from './webhook-urls.service.js';

/** Credential validation, webhook URLs and customer links for developers. */
@Module({
  imports: [AuthModule, ProjectsModule, RateLimitModule, StripeModule],
  controllers: [StripeToolsController],
  providers: [CredentialValidationService, WebhookUrlsService, CustomerLinksService],
})
export class StripeToolsApiModule {}
