import { Module } from '@nestjs/common';
import { RateLimitStore } from './rate-limit.store.js';

/** The shared rate-limit counters; import it where a controller uses a rate-limit guard. Needs the global MetricsModule. */
@Module({ providers: [RateLimitStore], exports: [RateLimitStore] })
export class RateLimitModule {}
