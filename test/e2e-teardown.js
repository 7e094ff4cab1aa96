export { removeDatabaseFolder as default } from './e2e-setup.js';
