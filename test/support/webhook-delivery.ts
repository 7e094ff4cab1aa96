import type { Server } from 'node:http';
import type Stripe from 'stripe';
import request from 'supertest';
import type { StripeStub } from './stripe-stub.js';

/** A project's webhook endpoint for one mode, and the signing secret Stripe (the stub) uses for it. */
export interface WebhookTarget {
  projectId: string;
  secret: string;
  mode?: 'test' | 'live';
}

/** One event, signed as Stripe signs it and posted to the target's endpoint; the answer as it came. */
export function sendSignedEvent(server: Server, stub: StripeStub, target: WebhookTarget, event: Stripe.Event) {
  const { payload, header } = stub.signEvent(event, target.secret);
  return request(server)
    .post(`/api/v1/payments/stripe/webhooks/${target.projectId}/${target.mode ?? 'test'}`)
    .set('Content-Type', 'application/json; charset=utf-8')
    .set('Stripe-Signature', header)
    .send(payload);
}

/** The events in order, each of them answered 200 `{"received": true}`. */
export async function deliverSignedEvents(
  server: Server,
  stub: StripeStub,
  target: WebhookTarget,
  events: Stripe.Event[],
): Promise<void> {
  for (const event of events) {
    const response = await sendSignedEvent(server, stub, target, event);
    expect([response.status, response.body]).toEqual([200, { received: true }]);
  }
}
