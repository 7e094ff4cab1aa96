import { Injectable } from '@nestjs/common';
import { WebhookEventsRepository } from '#libs/billing-records';
import type { StripeMode } from '#libs/config';
import type { WebhookStatusResponse } from './stripe-sync.dto.js';

/** What the event log says of a project's webhook endpoint for one mode. */
@Injectable()
export class WebhookStatusService {
  constructor(private readonly events: WebhookEventsRepository) {}

  async status(projectId: string, mode: StripeMode): Promise<WebhookStatusResponse> {
    const health = await this.events.health(projectId, mode);
    return {
      last_event_at: health.lastEventAt?.toISOString() ?? null,
      last_event_type: health.lastEventType,
      events_last_24h: health.eventsLast24h,
      failed_events_last_24h: health.failedEventsLast24h,
      signature_failures_last_24h: health.signatureFailuresLast24h,
      last_signature_failure_at: health.lastSignatureFailureAt?.toISOString() ?? null,
    };
  }
}
