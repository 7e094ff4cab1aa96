import { Module } from '@nestjs/common';
import { ProjectRegistryRepository } from './project-registry.repository.js';
import { ProjectsRepository } from './projects.repository.js';
import { SecretCipher } from './secret-cipher.js';
import { StripeConfigRepository } from './stripe-config.repository.js';
import { StripeCredentialsRepository } from './stripe-credentials.repository.js';

@Module({
  providers: [
    ProjectRegistryRepository,
    ProjectsRepository,
    SecretCipher,
    StripeConfigRepository,
    StripeCredentialsRepository,
  ],
  exports: [ProjectRegistryRepository, ProjectsRepository, StripeConfigRepository, StripeCredentialsRepository],
})
export class ProjectsModule {}
