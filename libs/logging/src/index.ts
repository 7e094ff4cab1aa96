export { createAppLogger, PinoNestLogger } from './app-logger.js';
export { registerRequestLogging, requestIdOf } from './request-logging.js';
