export { AccessTokenSigner, type MintRequest } from './access-token-signer.js';
export { AuthModule } from './auth.module.js';
export { CurrentPrincipal } from './current-principal.decorator.js';
export { INVALID_CREDENTIALS, JwtAuthGuard } from './jwt-auth.guard.js';
export { AccessTokenVerifier, principalFromClaims } from './access-token.verifier.js';
export { JwtStrategy } from './jwt.strategy.js';
export { isEndUser, type EndUserPrincipal, type Principal } from './principal.js';
export {
  ApiEndUserAuth,
  DEVELOPER_REQUIRED,
  DeveloperAuth,
  DeveloperGuard,
  END_USER_REQUIRED,
  EndUserAuth,
  EndUserGuard,
} from './scope.guards.js';
