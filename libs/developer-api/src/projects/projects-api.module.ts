import { Module } from '@nestjs/common';
import { AuthModule } from '#libs/auth';
import { ProjectsModule } from '#libs/projects';
import { ProjectsPaymentConfigController } from './projects-payment-config.controller.js';
import { ProjectsController } from './projects.controller.js';

/** Projects CRUD and the payments project list for developers. */
@Module({
  imports: [AuthModule, ProjectsModule],
  controllers: [ProjectsController, ProjectsPaymentConfigController],
})
export class ProjectsApiModule {}
