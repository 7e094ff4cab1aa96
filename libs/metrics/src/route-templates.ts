import { Injectable, RequestMethod, type OnApplicationBootstrap, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA, VERSION_METADATA } from '@nestjs/common/constants.js';
import { ApplicationConfig, DiscoveryService, MetadataScanner } from '@nestjs/core';
// The same path builder Nest's router (and @nestjs/swagger) uses: global prefix, its exclusions and URI versions.
import { RoutePathFactory } from '@nestjs/core/router/route-path-factory.js';

interface RouteTemplate {
  /** Upper-case HTTP method; `ALL` matches any. */
  method: string;
  /** The label: `/api/v1/projects/{project_id}`. */
  template: string;
  /** Literal segments, with `undefined` for a path parameter. */
  segments: (string | undefined)[];
  /** The template ends in a wildcard (`*` or `*name`): one or more further segments match. */
  open: boolean;
}

/**
 * The route templates of every controller method, read once from Nest's metadata at bootstrap, as metric labels
 * (`{param}` style, as in the OpenAPI document): never the raw URL, whose path parameters are ids.
 */
@Injectable()
export class RouteTemplates implements OnApplicationBootstrap {
  private readonly byHandler = new Map<Type, Map<object, RouteTemplate[]>>();
  private readonly routes: RouteTemplate[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly applicationConfig: ApplicationConfig,
  ) {}

  onApplicationBootstrap(): void {
    const paths = new RoutePathFactory(this.applicationConfig);
    for (const wrapper of this.discovery.getControllers()) {
      const controller = wrapper.metatype as Type | null;
      if (!controller) continue;
      const prototype = controller.prototype as Record<string, object>;
      const handlers = new Map<object, RouteTemplate[]>();
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name];
        const methodPath = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        const requestMethod = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (methodPath === undefined || requestMethod === undefined) continue;
        const templates = [methodPath]
          .flat()
          .flatMap((path) =>
            [Reflect.getMetadata(PATH_METADATA, controller) as string | string[] | undefined]
              .flat()
              .flatMap((ctrlPath) =>
                paths.create(
                  {
                    ctrlPath: ctrlPath ?? '',
                    methodPath: path,
                    globalPrefix: this.applicationConfig.getGlobalPrefix(),
                    versioningOptions: this.applicationConfig.getVersioning(),
                    controllerVersion: Reflect.getMetadata(VERSION_METADATA, controller),
                    methodVersion: Reflect.getMetadata(VERSION_METADATA, handler),
                  },
                  requestMethod,
                ),
              ),
          )
          .map((path) => toTemplate(RequestMethod[requestMethod], path));
        handlers.set(handler, templates);
        this.routes.push(...templates);
      }
      this.byHandler.set(controller, handlers);
    }
  }

  /**
   * Routes served outside controllers (Swagger UI, the OpenAPI document). `path` in Nest's style (`:param`); a
   * trailing `*` matches one or more further segments.
   */
  addRoute(method: string, path: string): void {
    this.routes.push(toTemplate(method, path));
  }

  /** The template of a controller method; `url` only picks one when the method is served under several paths. */
  forHandler(controller: Type, handler: object, url: string): string | undefined {
    const templates = this.byHandler.get(controller)?.get(handler);
    if (!templates || templates.length === 0) return undefined;
    if (templates.length === 1) return templates[0].template;
    const path = pathOf(url);
    return templates.find((route) => matches(route, path))?.template ?? templates[0].template;
  }

  /**
   * The template a request would be routed to, for responses sent before routing (body parsing, earlier
   * middleware); undefined when no route matches.
   */
  match(method: string, url: string): string | undefined {
    const path = pathOf(url);
    const routeMethod = method === 'HEAD' ? 'GET' : method;
    return this.routes.find((route) => (route.method === routeMethod || route.method === 'ALL') && matches(route, path))
      ?.template;
  }
}

function toTemplate(method: string, path: string): RouteTemplate {
  const parts = path.split('/').filter(Boolean);
  const open = parts.at(-1)?.startsWith('*') ?? false;
  const segments = (open ? parts.slice(0, -1) : parts).map((part) =>
    part.startsWith(':') ? undefined : part.toLowerCase(),
  );
  const template = '/' + parts.map((part) => (part.startsWith(':') ? `{${part.slice(1)}}` : part)).join('/');
  return { method: method.toUpperCase(), template, segments, open };
}

/** Like Express's default router: case-insensitive, a trailing slash ignored, the query string ignored. */
function pathOf(url: string): string[] {
  const query = url.indexOf('?');
  return (query === -1 ? url : url.slice(0, query)).toLowerCase().split('/').filter(Boolean);
}

function matches(route: RouteTemplate, path: string[]): boolean {
  if (route.open ? path.length <= route.segments.length : path.length !== route.segments.length) return false;
  return route.segments.every((segment, index) => segment === undefined || segment === path[index]);
}
