import { ApiProperty } from '@nestjs/swagger';

/** Extension: how a project's webhook endpoint for one mode has been receiving Stripe's events. */
export class WebhookStatusResponse {
  @ApiProperty({
    type: 'string',
    format: 'date-time',
    nullable: true,
    description: 'When the last verified event arrived (its first delivery); null if none ever did.',
    example: '2026-12-02T16:20:00.000Z',
    title: 'Last Event At',
  })
  last_event_at: string | null;

  @ApiProperty({
    type: 'string',
    nullable: true,
    description: "That event's type.",
    example: 'invoice.paid',
    title: 'Last Event Type',
  })
  last_event_type: string | null;

  @ApiProperty({
    type: 'integer',
    description: 'Verified events first received in the last 24 hours.',
    example: 42,
    title: 'Events Last 24h',
  })
  events_last_24h: number;

  @ApiProperty({
    type: 'integer',
    description: 'Of those, the ones whose processing failed and has not succeeded since (Stripe delivers them again).',
    example: 0,
    title: 'Failed Events Last 24h',
  })
  failed_events_last_24h: number;

  @ApiProperty({
    type: 'integer',
    description:
      'Deliveries refused because their signature did not verify (a wrong or rotated webhook secret shows here ' +
      'first), counted by the hour: the current hour and the 23 before it.',
    example: 0,
    title: 'Signature Failures Last 24h',
  })
  signature_failures_last_24h: number;

  @ApiProperty({
    type: 'string',
    format: 'date-time',
    nullable: true,
    description: 'When the last delivery with a bad signature arrived; null if none ever did.',
    example: null,
    title: 'Last Signature Failure At',
  })
  last_signature_failure_at: string | null;
}

/** Extension: what a sync read from Stripe and did to the local subscriptions. */
export class SyncSubscriptionsResponse {
  @ApiProperty({
    type: 'integer',
    description: "Subscriptions Stripe listed for the project's key in the mode (every status), whoever's.",
    example: 12,
    title: 'Fetched',
  })
  fetched: number;

  @ApiProperty({ type: 'integer', description: 'Recorded for the first time.', example: 1, title: 'Created' })
  created: number;

  @ApiProperty({ type: 'integer', description: 'Recorded before, and changed.', example: 2, title: 'Updated' })
  updated: number;

  @ApiProperty({
    type: 'integer',
    description: 'Already up to date, or recorded from a later read of Stripe than this one (kept).',
    example: 8,
    title: 'Unchanged',
  })
  unchanged: number;

  @ApiProperty({
    type: 'integer',
    description:
      "Not this project's: their metadata names another project, or names none and their customer is linked to no " +
      'user of this project.',
    example: 1,
    title: 'Ignored',
  })
  ignored: number;

  @ApiProperty({
    type: 'integer',
    description:
      "Customer links written again from a subscription's metadata (user_id), where neither the customer nor the " +
      'user was linked in the mode.',
    example: 1,
    title: 'Links Restored',
  })
  links_restored: number;
}
