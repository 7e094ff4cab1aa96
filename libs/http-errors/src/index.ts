export { ErrorDetail, HTTPValidationError, ValidationErrorItem } from './error-responses.js';
export { HttpExceptionFilter } from './http-exception.filter.js';
export { issue, PydanticValidationPipe, type AcceptsCommonBodies } from './pydantic-validation.pipe.js';
export { ServiceUnavailableRetryException } from './retryable.exception.js';
export { Issue, RequestValidationException, type IssueKind, type ValidationIssue } from './validation-errors.js';
export { IsIntegerBetween, IsPresent, IsStorableText, isStorableText } from './validators.js';
export { registerJsonBodyParser, type RawBodyRoute } from './json-body.parser.js';
export {
  BoundedIntQueryPipe,
  OptionalLiteralQueryPipe,
  OptionalTextQueryPipe,
  OptionalUuidQueryPipe,
  UuidPathPipe,
} from './param-pipes.js';
export {
  ApiTestModeQuery,
  OptionalStripeModePipe,
  parseQueryBoolean,
  StripeModePipe,
  TestModePipe,
} from './test-mode.pipe.js';
export { DomainErrorFilter } from './domain-error.filter.js';
export { RateLimitExceeded, RateLimitExceededException } from './rate-limit-exceeded.exception.js';
export { ApiBodyLimit, ApiDatabaseUnavailable, RETRY_AFTER_HEADER } from './api-common-responses.js';
export {
  IDEMPOTENCY_KEY_MAX_LENGTH,
  IDEMPOTENCY_KEY_REUSED_DETAIL,
  IdempotencyKeyPipe,
} from './idempotency-key.pipe.js';
export { IsRedirectUrl, REDIRECT_URL_MAX_LENGTH, redirectUrlProblem } from './redirect-url.js';
export { RequestHeader } from './request-header.decorator.js';
export { ApiPageQueries, PAGE, PAGE_SIZE, pageQuery, pageSizeQuery } from './pagination.js';
