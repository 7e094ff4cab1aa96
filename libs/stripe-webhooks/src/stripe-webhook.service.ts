import {
  BadRequestException,
  ConflictException,
  Injectable,
  InternalServerErrorException,
  Logger,
  NotFoundException,
} from '@nestjs/common';
import Stripe from 'stripe';
import {
  LeaseBusyError,
  LeasesRepository,
  retryUntil,
  WebhookEventsRepository,
  type EventHeader,
  type EventKey,
} from '#libs/billing-records';
import type { StripeMode } from '#libs/config';
import { PrismaService, unavailabilityReason } from '#libs/database';
import { isStorableText, ServiceUnavailableRetryException } from '#libs/http-errors';
import { StripeConfigRepository, type WebhookContext } from '#libs/projects';
import { classifyStripeFailure, StripeClientFactory, type StripeFailure } from '#libs/stripe';
import { STRIPE_FAILURE_ANSWERS } from '#libs/stripe-http';
import {
  HANDLED_EVENT_TYPES,
  WebhookEventProcessor,
  type EventPlan,
  type TrustedEvent,
} from './webhook-event.processor.js';

export const WEBHOOK_NOT_CONFIGURED = 'Project not found or Stripe not configured';
export const INVALID_SIGNATURE = 'Invalid signature';
export const EVENT_IN_PROGRESS = 'This event is being processed by another delivery; Stripe will deliver it again';
export const INTERNAL_EVENT_ERROR = 'Internal error processing event';
/** Stripe's own default: a signature older than this is refused (replayed deliveries). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** How long a delivery may work on one event or one Stripe object before another may take over. */
const LEASE_MS = 60_000;
/** How long a second delivery of an event in progress, or of another event for the same object, waits its turn. */
const WAIT_MS = 10_000;
const HANDLED = new Set<string>(HANDLED_EVENT_TYPES);
const MAX_ID_LENGTH = 255;
/** 9999-12-31T23:59:59Z: later times do not fit the database's timestamps. */
const MAX_CREATED = 253_402_300_799;
const NOT_AN_EVENT_REASON = 'the signed body is not a JSON event';
const NOT_AN_EVENT = `Invalid payload: ${NOT_AN_EVENT_REASON}`;

/**
 * Receives a project's Stripe events for one mode: verifies the signature on the exact bytes, stores each event once,
 * re-fetches what it names and writes Stripe's current state and the event's outcome in one transaction. Any failure
 * leaves the state untouched, marks the event failed and answers 5xx, so Stripe delivers it again.
 */
@Injectable()
export class StripeWebhookService {
  private readonly logger = new Logger('StripeWebhooks');

  constructor(
    private readonly configs: StripeConfigRepository,
    private readonly events: WebhookEventsRepository,
    private readonly leases: LeasesRepository,
    private readonly processor: WebhookEventProcessor,
    private readonly stripeClients: StripeClientFactory,
    private readonly prisma: PrismaService,
  ) {}

  async receive(projectId: string, mode: StripeMode, payload: unknown, signature: unknown): Promise<void> {
    const context = await this.configs.findWebhookContext(projectId, mode);
    if (!context?.credentials) throw new NotFoundException({ detail: WEBHOOK_NOT_CONFIGURED });
    const event = await this.verified(projectId, mode, context, payload, signature);
    const key: EventKey = { projectId, mode, eventId: event.id };
    if (!(await this.claim(key, event.header))) return;

    try {
      const stripe = this.stripeClients.clientFor({
        projectId,
        mode,
        version: context.credentials.version,
        secretKey: context.credentials.decryptSecretKey,
      });
      const scope = { projectId, mode, stripe };
      const process = async () => {
        const plan = await this.planOrIgnore(() => this.processor.plan(scope, event));
        await this.prisma.$transaction(async (tx) => {
          const decided = await plan.write?.(tx);
          await this.events.settle(tx, key, decided ?? plan.outcome);
        });
      };
      // Deliveries about one Stripe object take turns, so a later fetch is always written after an earlier one.
      if (HANDLED.has(event.type)) {
        await this.leases.withLease(`webhook:${projectId}:${mode}:${event.objectId}`, LEASE_OPTIONS, process);
      } else {
        await process();
      }
    } catch (error) {
      const failure = describeFailure(error);
      this.logger.warn(`Stripe event ${event.id} (${event.type}) of project ${projectId} failed: ${failure.summary}`);
      // Best effort: if even this write fails, the event's lease runs out and the next delivery takes it over.
      await this.events.fail(key, failure.summary).catch(() => undefined);
      throw failure.answer;
    }
  }

  /** The event, if the signature holds for these exact bytes and the event belongs to this endpoint's mode. */
  private async verified(
    projectId: string,
    mode: StripeMode,
    context: WebhookContext,
    payload: unknown,
    signature: unknown,
  ): Promise<VerifiedEvent> {
    const refuse = async (detail: string) => {
      await this.events.recordSignatureFailure(projectId, mode);
      return new BadRequestException({ detail });
    };
    // Stripe sends plain UTF-8; other bytes (a BOM, invalid sequences) would be verified over their decoded text, which
    // stripe-node computes, and not over the bytes received.
    if (
      typeof signature !== 'string' ||
      !hasNumericTimestamp(signature) ||
      !Buffer.isBuffer(payload) ||
      !isPlainUtf8(payload)
    ) {
      throw await refuse(INVALID_SIGNATURE);
    }
    const text = payload.toString('utf8');
    try {
      Stripe.webhooks.signature!.verifyHeader(text, signature, context.webhookSecret(), SIGNATURE_TOLERANCE_SECONDS);
    } catch {
      // Whatever the header held (a malformed one can make the comparison itself throw): it does not verify.
      throw await refuse(INVALID_SIGNATURE);
    }
    let event: unknown;
    try {
      event = JSON.parse(text);
    } catch {
      // Signed with the right secret, yet not JSON: no Stripe delivery looks like this.
      throw new BadRequestException({ detail: NOT_AN_EVENT });
    }
    const trusted = trustedPart(event);
    if (typeof trusted === 'string') throw new BadRequestException({ detail: `Invalid payload: ${trusted}` });
    if (trusted.livemode !== (mode === 'live')) {
      throw await refuse(
        `Event livemode (${trusted.livemode ? 'live' : 'test'}) does not match this endpoint's mode (${mode})`,
      );
    }
    return trusted;
  }

  /**
   * Takes the event for this delivery; false when it is already settled. A delivery of an event another delivery is
   * processing waits for it to finish, and is refused (409) if it does not in time: never a 200 before the commit.
   */
  private async claim(key: EventKey, header: EventHeader): Promise<boolean> {
    const claimed = await retryUntil(
      async () => {
        const claim = await this.events.claim(key, header, LEASE_MS);
        return claim.kind === 'busy' ? undefined : claim.kind === 'claimed';
      },
      { waitMs: WAIT_MS, maxPauseMs: 250 },
    );
    if (claimed === undefined) throw new ConflictException({ detail: EVENT_IN_PROGRESS });
    return claimed;
  }

  /** Stripe does not know the object for this project's key (e.g. it lives in another account): nothing to write. */
  private async planOrIgnore(plan: () => Promise<EventPlan>): Promise<EventPlan> {
    try {
      return await plan();
    } catch (error) {
      const failure = classifyStripeFailure(error);
      if (failure.outcome === 'invalid_request' && failure.code === 'resource_missing') return { outcome: 'ignored' };
      throw error;
    }
  }
}

const LEASE_OPTIONS = { ttlMs: LEASE_MS, waitMs: WAIT_MS };

/** The parts of a verified payload this service keeps. */
type VerifiedEvent = TrustedEvent & { livemode: boolean; header: EventHeader };

/** The parts of a payload this service trusts, or what is wrong with it. */
function trustedPart(event: unknown): VerifiedEvent | string {
  // A thin (v2) event carries no object; neither does anything that is not a JSON object.
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return NOT_AN_EVENT_REASON;
  const candidate = event as Record<string, unknown>;
  if (candidate.object === 'v2.core.event') return NOT_AN_EVENT_REASON;
  const { id, type, created, livemode } = candidate;
  const apiVersion = candidate.api_version ?? null;
  const object = (candidate.data as { object?: { id?: unknown } } | undefined)?.object;
  if (!isStripeId(id)) return 'the event has no valid id';
  if (!isStripeId(type)) return 'the event has no type';
  if (typeof created !== 'number' || !Number.isInteger(created) || created < 0 || created > MAX_CREATED) {
    return 'the event has no created time';
  }
  if (typeof livemode !== 'boolean') return 'the event has no livemode';
  if (apiVersion !== null && !(typeof apiVersion === 'string' && isStorableText(apiVersion))) {
    return 'the event has an invalid api_version';
  }
  const objectId = object?.id;
  if (HANDLED.has(type) && !isStripeId(objectId)) return 'the event names no object';
  return {
    id,
    type,
    livemode,
    objectId: typeof objectId === 'string' ? objectId : '',
    header: { type, created, apiVersion: apiVersion as string | null },
  };
}

/** What a Stripe id or type can be, and what the database can store and tell apart. */
function isStripeId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH && isStorableText(value);
}

/**
 * The header's timestamp, read as stripe-node reads it (the last `t=` element, keys untrimmed), is a number of
 * seconds: stripe-node would read `t=NaN` as NaN, which no age limit refuses.
 */
function hasNumericTimestamp(header: string): boolean {
  const timestamp = header
    .split(',')
    .map((element) => element.split('='))
    .filter(([key]) => key === 't')
    .at(-1)?.[1];
  return timestamp !== undefined && /^\d{1,15}$/.test(timestamp);
}

function isPlainUtf8(bytes: Buffer): boolean {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** A processing failure: what the event row and the log say (never a body or a secret) and what Stripe is answered. */
function describeFailure(error: unknown): { summary: string; answer: Error } {
  if (error instanceof LeaseBusyError) {
    return {
      summary: 'another delivery held the object too long',
      answer: new ServiceUnavailableRetryException(
        'Another delivery is processing this Stripe object; Stripe will deliver the event again',
        5,
      ),
    };
  }
  const database = unavailabilityReason(error);
  if (database !== undefined) {
    // DatabaseExceptionFilter answers it: 503 with its documented detail.
    return { summary: `database unavailable: ${database}`, answer: error as Error };
  }
  const failure = classifyStripeFailure(error);
  // other_error also stands for anything that is not a Stripe failure at all: that one is ours, a 500.
  if (error instanceof Stripe.errors.StripeError || failure.outcome !== 'other_error') {
    return {
      summary: `Stripe ${failure.outcome}${failure.code ? ` (${failure.code})` : ''}`,
      answer: new ServiceUnavailableRetryException(
        `Stripe did not give the event's object (${failure.outcome}); Stripe will deliver the event again`,
        retryAfter(failure),
      ),
    };
  }
  return {
    summary: `internal error: ${error instanceof Error ? error.name : typeof error}`,
    answer: new InternalServerErrorException({ detail: INTERNAL_EVENT_ERROR }),
  };
}

function retryAfter(failure: StripeFailure): number {
  const answer = STRIPE_FAILURE_ANSWERS[failure.outcome];
  return failure.retryAfterSeconds ?? (answer.status === 503 ? answer.retryAfter : 30);
}
