import { createHash, timingSafeEqual } from 'node:crypto';
import { Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { INVALID_CREDENTIALS } from '#libs/auth';
import { AppConfig } from '#libs/config';

/** With METRICS_TOKEN set, GET /metrics needs `Authorization: Bearer <token>`; without it the endpoint is open. */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  private readonly expected: Buffer | undefined;

  constructor(config: AppConfig) {
    this.expected = config.metrics.token === undefined ? undefined : digest(config.metrics.token);
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.expected) return true;
    const header = context.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined> }>()
      .headers.authorization;
    const token = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : undefined;
    // Digests have equal lengths, so the comparison takes the same time whatever the caller sent.
    if (token !== undefined && timingSafeEqual(digest(token), this.expected)) return true;
    throw new UnauthorizedException({ detail: INVALID_CREDENTIALS });
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
