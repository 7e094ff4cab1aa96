export { clientAddressBucket } from './client-address.js';
export {
  END_USER_RATE_LIMIT_WINDOW_SECONDS,
  EndUserAccessGuard,
  RateLimitedEndUserAuth,
  rateLimitExceededDetail,
} from './end-user-rate-limit.js';
export { ApiRateLimitExceeded, RATE_LIMIT_HEADERS } from './rate-limit-docs.js';
export { RateLimitGuard } from './rate-limit.guard.js';
export { RateLimitModule } from './rate-limit.module.js';
export { REDIS_COMMAND_TIMEOUT_MS, REDIS_CONNECT_TIMEOUT_MS, RateLimitStore } from './rate-limit.store.js';
export { outcomeOf, RequestRateLimiter, type RateLimitOutcome, type RateLimitPolicy } from './rate-limiter.js';
