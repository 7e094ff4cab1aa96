export { ProjectsModule } from './projects.module.js';
export {
  ProjectsRepository,
  type ModeCredentials,
  type NewProject,
  type PortalContext,
} from './projects.repository.js';
export { SecretCipher, SecretDecryptionError } from './secret-cipher.js';
export { credentialProblem, maskSecret, type CredentialField } from './stripe-credentials.js';
