import { createHash, randomUUID } from 'node:crypto';
import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import type Stripe from 'stripe';
import type { EndUserPrincipal } from '#libs/auth';
import { PROJECT_NOT_CONFIGURED } from '#libs/billing-portal';
import { CheckoutSessionsRepository, retryUntil, type CheckoutOutcome } from '#libs/billing-records';
import { AppConfig, type StripeMode } from '#libs/config';
import {
  IDEMPOTENCY_KEY_REUSED_DETAIL,
  Issue,
  RequestValidationException,
  ServiceUnavailableRetryException,
  type ValidationIssue,
} from '#libs/http-errors';
import {
  StripeConfigRepository,
  StripeCustomersRepository,
  type CheckoutContext,
  type CheckoutLease,
} from '#libs/projects';
import { classifyStripeFailure, StripeCalls, StripeClientFactory, type StripeFailure } from '#libs/stripe';
import { answerStripeFailure, StripeConfigurationException } from '#libs/stripe-http';
import type { CheckoutSessionRequest } from './checkout-session.dto.js';
import { CHECKOUT_PERMISSION_FAILURE, checkoutSessionFailures } from './checkout-stripe-failures.js';

export const ALREADY_SUBSCRIBED_DETAIL =
  'User already has an active subscription; manage it in the customer portal (POST /api/v1/payments/stripe/customer-portal)';
export const CHECKOUT_BUSY_DETAIL = 'Another checkout for this user is still in progress; try again shortly';

/** What the end user is sent to. */
export interface CreatedCheckoutSession {
  sessionId: string;
  /** A payment link: never logged. */
  checkoutUrl: string;
}

type ConfiguredContext = Extract<CheckoutContext, { status: 'configured' }>;

/** The client's Idempotency-Key, and the request it came with, as digests. */
interface RequestKeys {
  /** Scoped to project, user and mode; null without a key. */
  keyDigest: string | null;
  requestDigest: string;
}

/**
 * Opens Stripe Checkout for an end user of a project, with the project's keys: one Stripe customer per user (created
 * on the first checkout), at most one payable subscription checkout per user, a free trial on the first subscription
 * only. One user's checkouts take turns through a lease row, so this holds across every process of the service; no
 * transaction is held across a Stripe call.
 */
@Injectable()
export class CheckoutSessionService {
  private readonly leaseTtlMs: number;
  private readonly leaseWaitMs: number;

  constructor(
    private readonly configs: StripeConfigRepository,
    private readonly customers: StripeCustomersRepository,
    private readonly sessions: CheckoutSessionsRepository,
    private readonly stripeClients: StripeClientFactory,
    private readonly stripeCalls: StripeCalls,
    config: AppConfig,
  ) {
    const budgetMs = config.stripe.timeoutMs;
    // At most six Stripe calls run under the lease (customer, expire, retrieve, session, and a replaced customer's
    // two): it outlives them all, so it never lapses while its holder still works.
    this.leaseTtlMs = 6 * budgetMs + 10_000;
    this.leaseWaitMs = 3 * budgetMs;
  }

  async createSession(
    user: EndUserPrincipal,
    mode: StripeMode,
    request: CheckoutSessionRequest,
    idempotencyKey?: string,
  ): Promise<CreatedCheckoutSession> {
    const keys: RequestKeys = {
      keyDigest: idempotencyKey === undefined ? null : scopedKeyDigest(user, mode, idempotencyKey),
      requestDigest: requestDigest(request),
    };
    const lease: CheckoutLease = {
      key: `checkout:${user.projectId}:${mode}:${user.userId}`,
      holder: randomUUID(),
      ttlMs: this.leaseTtlMs,
    };
    const context = await this.holdUser(user, mode, request, lease, keys.keyDigest);
    const outcome: CheckoutOutcome = {};
    let created: CreatedCheckoutSession;
    try {
      created = await this.checkOut(user, mode, request, context, keys, outcome);
    } catch (error) {
      // What was done is recorded and the lease released; if even that fails, the lease lapses on its own.
      await this.sessions.finish(user.projectId, mode, lease, outcome).catch(() => undefined);
      throw error;
    }
    await this.sessions.finish(user.projectId, mode, lease, outcome);
    return created;
  }

  /**
   * Reads the context until it is read holding the user's lease, waiting while another checkout of the user holds
   * it. What the configuration alone refuses is refused at once, held or not.
   */
  private async holdUser(
    user: EndUserPrincipal,
    mode: StripeMode,
    request: CheckoutSessionRequest,
    lease: CheckoutLease,
    keyDigest: string | null,
  ): Promise<ConfiguredContext> {
    const held = await retryUntil(
      async () => {
        for (;;) {
          const context = await this.configs.findCheckoutContext(user.projectId, user.userId, mode, lease, keyDigest);
          if (context.status === 'not-configured') throw new NotFoundException({ detail: PROJECT_NOT_CONFIGURED });
          const refused = projectRefusals(request, context);
          if (refused.length > 0) {
            if (context.lease !== 'busy') await this.sessions.finish(user.projectId, mode, lease, {});
            throw new RequestValidationException(refused);
          }
          if (context.lease === 'held') return context;
          // Read before the holder's release committed: read again at once.
          if (context.lease === 'busy') return undefined;
        }
      },
      { waitMs: this.leaseWaitMs, maxPauseMs: 100 },
    );
    if (held === undefined) throw new ServiceUnavailableRetryException(CHECKOUT_BUSY_DETAIL, 1);
    return held;
  }

  /** The checkout itself, holding the lease; `outcome` collects what finish() records. */
  private async checkOut(
    user: EndUserPrincipal,
    mode: StripeMode,
    request: CheckoutSessionRequest,
    context: ConfiguredContext,
    keys: RequestKeys,
    outcome: CheckoutOutcome,
  ): Promise<CreatedCheckoutSession> {
    const remembered = context.sessionForKey;
    if (remembered) {
      // A retry: the same session again, still open, not expired in favour of a copy of itself.
      if (remembered.idempotencyKey !== rememberedKey(keys)) {
        throw new ConflictException({ detail: IDEMPOTENCY_KEY_REUSED_DETAIL });
      }
      return { sessionId: remembered.stripeSessionId, checkoutUrl: remembered.url };
    }
    const subscription = request.mode === 'subscription';
    if (subscription && context.hasCurrentSubscription && !request.allow_existing_subscription) {
      throw new BadRequestException({ detail: ALREADY_SUBSCRIBED_DETAIL });
    }

    const stripe = this.stripeClients.clientFor({
      projectId: user.projectId,
      mode,
      version: context.credentials.version,
      secretKey: context.credentials.decryptSecretKey,
    });
    let customer = context.stripeCustomerId ?? (await this.createCustomer(stripe, user, mode, null));
    const previous = subscription ? context.openSubscriptionSessionId : null;
    if (previous) {
      if ((await this.expire(stripe, user.projectId, mode, previous)) === 'complete') {
        // The user has just paid for it; the webhook that says so may still be on its way.
        outcome.completedSessionId = previous;
        throw new BadRequestException({ detail: ALREADY_SUBSCRIBED_DETAIL });
      }
      outcome.expiredSessionId = previous;
    }

    const trialDays = subscription && !context.hadSubscription ? (context.trialPeriodDays ?? 0) : 0;
    const open = (customerId: string) =>
      this.createStripeSession(stripe, user, mode, request, { customerId, trialDays, after: context.latestSessionId });
    let session: Stripe.Checkout.Session;
    try {
      session = await open(customer);
    } catch (error) {
      const failure = classifyStripeFailure(error);
      if (!isMissingCustomer(failure)) throw answerStripeFailure(failure, mode, checkoutSessionFailures(request.mode));
      // The stored customer was deleted in Stripe: replaced once, in this request.
      customer = await this.createCustomer(stripe, user, mode, customer);
      try {
        session = await open(customer);
      } catch (retryError) {
        throw answerStripeFailure(classifyStripeFailure(retryError), mode, checkoutSessionFailures(request.mode));
      }
    }
    if (!session.url) throw new StripeConfigurationException('Stripe returned a checkout session without a URL');
    outcome.created = {
      userId: user.userId,
      stripeSessionId: session.id,
      checkoutMode: request.mode,
      url: session.url,
      idempotencyKey: keys.keyDigest === null ? null : rememberedKey(keys),
      stripeExpiresAt: session.expires_at,
    };
    return { sessionId: session.id, checkoutUrl: session.url };
  }

  /**
   * Creates the user's Stripe customer (replacing `replacing`, one Stripe deleted) and links it, unless a concurrent
   * checkout linked one first: returns the customer to use. The idempotency key makes concurrent creations one.
   */
  private async createCustomer(
    stripe: Stripe,
    user: EndUserPrincipal,
    mode: StripeMode,
    replacing: string | null,
  ): Promise<string> {
    const idempotencyKey = `customer-${sha256(['customers.create', user.projectId, user.userId, mode, replacing])}`;
    let created: Stripe.Customer;
    try {
      created = await this.stripeCalls.run('customers.create', user.projectId, () =>
        stripe.customers.create({ metadata: { project_id: user.projectId, user_id: user.userId } }, { idempotencyKey }),
      );
    } catch (error) {
      throw answerStripeFailure(classifyStripeFailure(error), mode, [CHECKOUT_PERMISSION_FAILURE]);
    }
    return replacing === null
      ? this.customers.linkCreated(user.projectId, user.userId, mode, created.id)
      : this.customers.replaceDeleted(user.projectId, user.userId, mode, replacing, created.id);
  }

  /** Expires the user's open session; a session Stripe no longer holds open is asked how it ended. */
  private async expire(
    stripe: Stripe,
    projectId: string,
    mode: StripeMode,
    sessionId: string,
  ): Promise<'expired' | 'complete'> {
    try {
      await this.stripeCalls.run('checkout.sessions.expire', projectId, () =>
        stripe.checkout.sessions.expire(sessionId),
      );
      return 'expired';
    } catch (error) {
      const failure = classifyStripeFailure(error);
      if (failure.outcome !== 'invalid_request')
        throw answerStripeFailure(failure, mode, [CHECKOUT_PERMISSION_FAILURE]);
    }
    let session: Stripe.Checkout.Session;
    try {
      session = await this.stripeCalls.run('checkout.sessions.retrieve', projectId, () =>
        stripe.checkout.sessions.retrieve(sessionId),
      );
    } catch (error) {
      const failure = classifyStripeFailure(error);
      // Not in this account (its key was replaced by another account's): nothing there can be paid.
      if (failure.outcome === 'invalid_request' && failure.code === 'resource_missing') return 'expired';
      throw answerStripeFailure(failure, mode, [CHECKOUT_PERMISSION_FAILURE]);
    }
    if (session.status === 'complete') return 'complete';
    if (session.status === 'expired') return 'expired';
    throw new StripeConfigurationException("Stripe refused to expire the user's open checkout session");
  }

  private createStripeSession(
    stripe: Stripe,
    user: EndUserPrincipal,
    mode: StripeMode,
    request: CheckoutSessionRequest,
    terms: { customerId: string; trialDays: number; after: string | null },
  ): Promise<Stripe.Checkout.Session> {
    const params = sessionParams(user, request, terms.customerId, terms.trialDays);
    // Derived from everything sent and the session it follows: a retry after an answer that never arrived gets the
    // session Stripe made then (no second payable one); any later checkout follows another session, so gets a new key.
    const idempotencyKey = `checkout-${sha256([user.projectId, user.userId, mode, terms.after, params])}`;
    return this.stripeCalls.run('checkout.sessions.create', user.projectId, () =>
      stripe.checkout.sessions.create(params, { idempotencyKey }),
    );
  }
}

/** The Stripe session: the user's customer, one line item, the caller's metadata plus the service's own. */
export function sessionParams(
  user: EndUserPrincipal,
  request: CheckoutSessionRequest,
  customerId: string,
  trialDays: number,
): Stripe.Checkout.SessionCreateParams {
  const metadata: Record<string, string> = {
    ...Object.fromEntries(Object.entries(request.metadata ?? {}).map(([key, value]) => [key, String(value)])),
    project_id: user.projectId,
    user_id: user.userId,
  };
  return {
    customer: customerId,
    line_items: [{ price: request.price_id, quantity: request.quantity }],
    mode: request.mode,
    success_url: request.success_url,
    cancel_url: request.cancel_url,
    client_reference_id: user.userId,
    metadata,
    ...(request.mode === 'subscription'
      ? { subscription_data: { metadata, ...(trialDays > 0 && { trial_period_days: trialDays }) } }
      : { payment_intent_data: { metadata } }),
  };
}

/** What the project's configuration refuses in the request: URLs outside its origins, prices outside its list. */
function projectRefusals(request: CheckoutSessionRequest, context: ConfiguredContext): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const origins = context.allowedReturnUrlOrigins;
  for (const field of ['success_url', 'cancel_url'] as const) {
    if (origins.length === 0 || origins.includes(new URL(request[field]).origin)) continue;
    const { msg, type } = Issue.valueError(`${field}'s origin is not among the project's allowed return URL origins`);
    issues.push({ loc: ['body', field], msg, type });
  }
  const prices = context.allowedPriceIds;
  if (prices.length > 0 && !prices.includes(request.price_id)) {
    const { msg, type } = Issue.valueError("price_id is not among the project's allowed prices");
    issues.unshift({ loc: ['body', 'price_id'], msg, type });
  }
  return issues;
}

function isMissingCustomer(failure: StripeFailure): boolean {
  return failure.outcome === 'invalid_request' && failure.code === 'resource_missing' && failure.param === 'customer';
}

/** What the session row remembers of a client's key: its scoped digest, then the digest of the request it came with. */
function rememberedKey(keys: RequestKeys): string {
  return `${keys.keyDigest}.${keys.requestDigest}`;
}

/** The client's key, scoped so the same user retrying matches and two users (or modes) never collide. */
function scopedKeyDigest(user: EndUserPrincipal, mode: StripeMode, clientKey: string): string {
  return sha256(['checkout-session', user.projectId, user.userId, mode, clientKey]);
}

/** The request as validated (defaults applied), metadata in key order: equal requests, equal digests. */
function requestDigest(request: CheckoutSessionRequest): string {
  const metadata = request.metadata ? Object.entries(request.metadata).sort(([a], [b]) => (a < b ? -1 : 1)) : null;
  return sha256([
    request.price_id,
    request.success_url,
    request.cancel_url,
    request.mode,
    request.quantity,
    metadata,
    request.allow_existing_subscription,
  ]);
}

function sha256(parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}
