export { ErrorDetail, HTTPValidationError, ValidationErrorItem } from './error-responses.js';
export { HttpExceptionFilter } from './http-exception.filter.js';
export { issue, PydanticValidationPipe } from './pydantic-validation.pipe.js';
export { ServiceUnavailableRetryException } from './retryable.exception.js';
export { Issue, RequestValidationException, type IssueKind, type ValidationIssue } from './validation-errors.js';
export { IsPresent } from './validators.js';
export { bodyParserErrorHandler } from './body-parser-error.handler.js';
export { BoundedIntQueryPipe, UuidPathPipe } from './param-pipes.js';
export { parseQueryBoolean, TestModePipe } from './test-mode.pipe.js';
export {
  RateLimitExceeded,
  RateLimitExceededException,
  RateLimitExceededFilter,
} from './rate-limit-exceeded.exception.js';
export { ApiBodyLimit, ApiDatabaseUnavailable } from './api-common-responses.js';
