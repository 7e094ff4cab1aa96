import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { AccessTokenSigner } from './access-token-signer.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';
import { JwtStrategy } from './jwt.strategy.js';

@Module({
  imports: [PassportModule.register({ session: false })],
  providers: [JwtStrategy, JwtAuthGuard, AccessTokenSigner],
  exports: [JwtAuthGuard, AccessTokenSigner],
})
export class AuthModule {}
