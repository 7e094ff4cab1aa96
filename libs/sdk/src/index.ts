import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './schema.js';

export type { components, operations, paths } from './schema.js';

export interface BillingClientOptions {
  /** Where the service runs, without the `/api/v1` prefix, e.g. `https://billing.example.com`. */
  baseUrl: string;
  /** The caller's access token: an end user's (with `project_id`) for the portal, a developer's for the rest. */
  token?: string;
  /** Another fetch implementation (tests, server-side rendering); defaults to the global one. */
  fetch?: (request: Request) => Promise<Response>;
}

/** A client for every endpoint in openapi.json: paths, parameters, bodies and each status's body are typed. */
export type BillingClient = Client<paths>;

/** A typed client that sends `Authorization: Bearer <token>` with every request. */
export function createBillingClient({ baseUrl, token, fetch }: BillingClientOptions): BillingClient {
  return createClient<paths>({
    baseUrl,
    headers: token === undefined ? {} : { Authorization: `Bearer ${token}` },
    ...(fetch ? { fetch } : {}),
  });
}

/** Any schema of the document by name, e.g. `Schema<'ProjectResponse'>`. */
export type Schema<Name extends keyof components['schemas']> = components['schemas'][Name];

export type CustomerPortalRequest = Schema<'CustomerPortalRequest'>;
export type CustomerPortalResponse = Schema<'CustomerPortalResponse'>;
export type PortalFlow = Schema<'PortalFlow'>;
export type CreateProjectRequest = Schema<'CreateProjectRequest'>;
export type ProjectResponse = Schema<'ProjectResponse'>;
export type StripeConfigRequest = Schema<'StripeConfigRequest'>;
export type StripeConfigResponse = Schema<'StripeConfigResponse'>;
export type LinkStripeCustomerRequest = Schema<'LinkStripeCustomerRequest'>;
export type StripeCustomerLinkResponse = Schema<'StripeCustomerLinkResponse'>;
/** Every error but 422: `{"detail": "..."}`. */
export type ErrorDetail = Schema<'ErrorDetail'>;
/** 422, in FastAPI's shape: `{"detail": [{loc, msg, type}]}`. */
export type HTTPValidationError = Schema<'HTTPValidationError'>;
export type ValidationErrorItem = Schema<'ValidationErrorItem'>;
