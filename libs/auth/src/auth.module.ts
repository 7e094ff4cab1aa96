import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { AccessTokenSigner } from './access-token-signer.js';
import { AccessTokenVerifier } from './access-token.verifier.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';
import { JwtStrategy } from './jwt.strategy.js';
import { DeveloperGuard, EndUserGuard } from './scope.guards.js';

@Module({
  imports: [PassportModule.register({ session: false })],
  providers: [JwtStrategy, JwtAuthGuard, EndUserGuard, DeveloperGuard, AccessTokenSigner, AccessTokenVerifier],
  exports: [JwtAuthGuard, EndUserGuard, DeveloperGuard, AccessTokenSigner, AccessTokenVerifier],
})
export class AuthModule {}
