export {
  AppConfig,
  ConfigurationError,
  environmentSchema,
  type Environment,
  type StripeMode,
  type TrustProxy,
} from './app-config.js';
export { ConfigModule } from './config.module.js';
export { loadConfig } from './load-config.js';
