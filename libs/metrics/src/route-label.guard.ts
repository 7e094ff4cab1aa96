import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { labelRoute } from './http-metrics.js';
import { RouteTemplates } from './route-templates.js';

/**
 * A global guard that only labels: global guards run first once a route matched, so the route template is on the
 * response before any other guard, pipe or handler can answer (401, 403, 422 ...). Never refuses.
 */
@Injectable()
export class RouteLabelGuard implements CanActivate {
  constructor(private readonly routes: RouteTemplates) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const http = context.switchToHttp();
    const request = http.getRequest<{ url: string; raw?: { url?: string } }>();
    const route = this.routes.forHandler(context.getClass(), context.getHandler(), request.raw?.url ?? request.url);
    if (route) labelRoute(http.getResponse<object>(), route);
    return true;
  }
}
