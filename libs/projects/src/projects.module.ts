import { Module } from '@nestjs/common';
import { ProjectsRepository } from './projects.repository.js';
import { SecretCipher } from './secret-cipher.js';

@Module({
  providers: [ProjectsRepository, SecretCipher],
  exports: [ProjectsRepository],
})
export class ProjectsModule {}
