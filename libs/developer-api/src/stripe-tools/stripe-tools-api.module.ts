import { Module } from '@nestjs/common';

/** Credential validation, webhook URLs and customer links for developers. */
@Module({})
export class StripeToolsApiModule {}
