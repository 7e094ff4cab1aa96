import { Module } from '@nestjs/common';

/** Projects CRUD and the payments project list for developers. */
@Module({})
export class ProjectsApiModule {}
