import { Module } from '@nestjs/common';
import { AuthModule } from '../../../auth/src/index.js';
import { ProjectsModule } from '../../../projects/src/index.js';
import { RateLimitModule } from '../../../rate-limit/src/index.js';
import { StripeModule } from '../../../stripe/src/index.js';
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
