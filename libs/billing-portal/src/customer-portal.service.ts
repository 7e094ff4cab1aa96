import { createHash } from 'node:crypto';
import { Injectable, NotFoundException } from '@nestjs/common';
import type Stripe from 'stripe';
import type { EndUserPrincipal } from '#libs/auth';
import type { StripeMode } from '#libs/config';
import { Issue, RequestValidationException } from '#libs/http-errors';
import { CustomerNotLinked, StripeConfigRepository } from '#libs/projects';
import { classifyStripeFailure, StripeCalls, StripeClientFactory } from '#libs/stripe';
import { answerStripeFailure } from '#libs/stripe-http';
import type { CustomerPortalRequest, PortalFlow } from './customer-portal.dto.js';
import { PORTAL_SESSION_FAILURES } from './portal-stripe-failures.js';

export const PROJECT_NOT_CONFIGURED = 'Project not found or Stripe not configured';

/** Opens Stripe's hosted Customer Portal for an end user's own customer, with their project's keys. */
@Injectable()
export class CustomerPortalService {
  constructor(
    private readonly configs: StripeConfigRepository,
    private readonly stripeClients: StripeClientFactory,
    private readonly stripeCalls: StripeCalls,
  ) {}

  /** Returns the portal session URL (a login link: callers must not log it). */
  async createSession(
    user: EndUserPrincipal,
    mode: StripeMode,
    request: CustomerPortalRequest,
    idempotencyKey?: string,
  ): Promise<string> {
    const context = await this.configs.findPortalContext(user.projectId, user.userId, mode);
    if (context.status === 'not-configured') throw new NotFoundException({ detail: PROJECT_NOT_CONFIGURED });
    assertAllowedOrigin(request.return_url, context.allowedReturnUrlOrigins);
    if (!context.stripeCustomerId) throw new CustomerNotLinked();

    const stripe = this.stripeClients.clientFor({
      projectId: user.projectId,
      mode,
      version: context.credentials.version,
      secretKey: context.credentials.decryptSecretKey,
    });
    const params: Stripe.BillingPortal.SessionCreateParams = {
      customer: context.stripeCustomerId,
      return_url: request.return_url,
      ...(request.locale && { locale: request.locale }),
      ...(context.credentials.portalConfigurationId && { configuration: context.credentials.portalConfigurationId }),
      ...(request.flow && { flow_data: toFlowData(request.flow) }),
    };
    const options = idempotencyKey ? { idempotencyKey: scopedIdempotencyKey(user, mode, idempotencyKey) } : undefined;
    try {
      const session = await this.stripeCalls.run('billing_portal.sessions.create', user.projectId, () =>
        stripe.billingPortal.sessions.create(params, options),
      );
      return session.url;
    } catch (error) {
      throw answerStripeFailure(classifyStripeFailure(error), mode, PORTAL_SESSION_FAILURES);
    }
  }
}

/** The project's open-redirect guard: when it lists origins, return_url must point at one of them. */
function assertAllowedOrigin(returnUrl: string, allowedOrigins: string[]): void {
  if (allowedOrigins.length === 0 || allowedOrigins.includes(new URL(returnUrl).origin)) return;
  throw RequestValidationException.at(
    ['body', 'return_url'],
    Issue.valueError("return_url's origin is not among the project's allowed return URL origins"),
  );
}

/** The client's key, scoped so the same user retrying gets the same session and two users can never collide. */
export function scopedIdempotencyKey(user: EndUserPrincipal, mode: StripeMode, clientKey: string): string {
  const digest = createHash('sha256')
    .update(JSON.stringify(['customer-portal', user.projectId, user.userId, mode, clientKey]))
    .digest('hex');
  return `portal-${digest}`;
}

function toFlowData(flow: PortalFlow): Stripe.BillingPortal.SessionCreateParams.FlowData {
  switch (flow.type) {
    case 'payment_method_update':
      return { type: 'payment_method_update' };
    case 'subscription_cancel':
      return { type: 'subscription_cancel', subscription_cancel: { subscription: flow.subscription! } };
    case 'subscription_update':
      return { type: 'subscription_update', subscription_update: { subscription: flow.subscription! } };
  }
}
