export { DeveloperApiModule } from './developer-api.module.js';
