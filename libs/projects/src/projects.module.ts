import { Module } from '@nestjs/common';
import { ProjectsRepository } from './projects.repository.js';
import { SecretCipher } from './secret-cipher.js';
import { StripeConfigRepository } from './stripe-config.repository.js';
import { StripeConfigService } from './stripe-config.service.js';
import { StripeCustomersRepository } from './stripe-customers.repository.js';

/** One repository per aggregate (project, Stripe configuration, customer link) and the configuration's one writer. */
@Module({
  providers: [ProjectsRepository, SecretCipher, StripeConfigRepository, StripeConfigService, StripeCustomersRepository],
  exports: [ProjectsRepository, SecretCipher, StripeConfigRepository, StripeConfigService, StripeCustomersRepository],
})
export class ProjectsModule {}
