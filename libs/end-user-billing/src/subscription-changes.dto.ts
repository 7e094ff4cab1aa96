import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { Issue, IsPresent, IsStorableText, issue } from '#libs/http-errors';

export const PRORATION_BEHAVIOR_PATTERN = '^(create_prorations|none|always_invoice)$';
export type ProrationBehavior = 'create_prorations' | 'none' | 'always_invoice';
export const NEW_PRICE_ID_MAX_LENGTH = 255;

// class-validator runs a property's rules bottom-up and reports the first failure: presence or type is listed last.
// Defaults are the initialisers: class-transformer builds the instance with `new`, then copies what the body has.

/** Request to cancel a subscription (the reference's CancelSubscriptionRequest). */
export class CancelSubscriptionRequest {
  @ApiPropertyOptional({
    type: 'boolean',
    default: false,
    title: 'Cancel Immediately',
    description: 'If true, cancels immediately (access ends now). Otherwise cancels at period end (access until then).',
    example: false,
  })
  @IsBoolean(issue(Issue.boolType))
  cancel_immediately: boolean = false;
}

/** Cancel subscription response (the reference's CancelSubscriptionResponse). */
export class CancelSubscriptionResponse {
  @ApiProperty({ title: 'Subscription Id', description: "Stripe's subscription id.", example: 'sub_1ABC123def456' })
  subscription_id: string;

  @ApiProperty({
    title: 'Status',
    description: '`canceled` when canceled now; its current status (e.g. `active`) when it ends at period end.',
    example: 'active',
  })
  status: string;

  @ApiProperty({
    type: 'string',
    format: 'date-time',
    nullable: true,
    required: false,
    title: 'Cancel At',
    description: 'When the subscription ends, when scheduled.',
    example: '2026-02-01T00:00:00.000Z',
  })
  cancel_at: string | null;

  @ApiProperty({
    type: 'string',
    format: 'date-time',
    nullable: true,
    required: false,
    title: 'Cancelled At',
    description: 'When the cancellation was requested.',
    example: '2026-01-24T15:30:00.000Z',
  })
  cancelled_at: string | null;

  @ApiProperty({
    title: 'Message',
    example: 'Subscription will be canceled at the end of the current billing period.',
  })
  message: string;
}

/** Request to change the subscription's plan (the reference's UpdateSubscriptionRequest). */
export class UpdateSubscriptionRequest {
  @ApiProperty({
    minLength: 1,
    maxLength: NEW_PRICE_ID_MAX_LENGTH,
    title: 'New Price Id',
    description:
      "An active recurring price of the project's Stripe account (the mode's), in the subscription's currency, " +
      "other than its current one; one of the project's allowed_price_ids when it lists any.",
    example: 'price_1XYZ789abc123',
  })
  @Matches(/^\S+$/, issue(Issue.valueError('new_price_id must not contain whitespace')))
  @MaxLength(NEW_PRICE_ID_MAX_LENGTH, issue(Issue.stringTooLong(NEW_PRICE_ID_MAX_LENGTH)))
  @MinLength(1, issue(Issue.stringTooShort(1)))
  @IsStorableText()
  @IsString(issue(Issue.stringType))
  @IsPresent()
  new_price_id: string;

  @ApiPropertyOptional({
    type: 'string',
    pattern: PRORATION_BEHAVIOR_PATTERN,
    default: 'create_prorations',
    title: 'Proration Behavior',
    description:
      '`create_prorations`: credit and charge for the rest of the period on the next invoice; `none`: the new ' +
      'price from the next period, no proration; `always_invoice`: invoice the proration now.',
    example: 'create_prorations',
  })
  @Matches(new RegExp(PRORATION_BEHAVIOR_PATTERN), issue(Issue.stringPatternMismatch(PRORATION_BEHAVIOR_PATTERN)))
  @IsString(issue(Issue.stringType))
  proration_behavior: ProrationBehavior = 'create_prorations';
}

/** Update subscription response (the reference's UpdateSubscriptionResponse). */
export class UpdateSubscriptionResponse {
  @ApiProperty({ title: 'Subscription Id', description: "Stripe's subscription id.", example: 'sub_1ABC123def456' })
  subscription_id: string;

  @ApiProperty({ title: 'Status', description: "Stripe's status after the change.", example: 'active' })
  status: string;

  @ApiProperty({
    title: 'Price Id',
    description: 'The price the subscription now bills.',
    example: 'price_1XYZ789abc123',
  })
  price_id: string;

  @ApiProperty({ title: 'Message', example: 'Subscription updated to new plan successfully.' })
  message: string;
}

/** Extension: what undoing a scheduled cancellation left. */
export class ReactivateSubscriptionResponse {
  @ApiProperty({ title: 'Subscription Id', description: "Stripe's subscription id.", example: 'sub_1ABC123def456' })
  subscription_id: string;

  @ApiProperty({ title: 'Status', example: 'active' })
  status: string;

  @ApiProperty({
    type: 'string',
    format: 'date-time',
    nullable: true,
    title: 'Current Period End',
    description: 'When the subscription renews, as it now will.',
    example: '2026-02-01T00:00:00.000Z',
  })
  current_period_end: string | null;

  @ApiProperty({
    title: 'Message',
    example: 'Subscription reactivated; it will renew at the end of the current billing period.',
  })
  message: string;
}

/** Extension: what a plan change would cost, from Stripe's invoice preview; nothing is changed. */
export class SubscriptionChangePreviewResponse {
  @ApiProperty({
    type: 'integer',
    title: 'Amount Due Now',
    description: 'Invoiced and charged at once by the change: non-zero only with `always_invoice`.',
    example: 0,
  })
  amount_due_now: number;

  @ApiProperty({
    type: 'integer',
    title: 'Next Invoice Amount',
    description:
      'What the next regular invoice comes to after the change (with `create_prorations`, the prorations ' +
      'included); 0 when credits cover it.',
    example: 2500,
  })
  next_invoice_amount: number;

  @ApiProperty({
    type: 'integer',
    title: 'Proration Total',
    description:
      'The prorations for the rest of the current period: charge for the new price less credit for the old one ' +
      '(negative for a downgrade); 0 with `none`.',
    example: 500,
  })
  proration_total: number;

  @ApiProperty({
    title: 'Currency',
    description: 'The currency of every amount (in its smallest unit).',
    example: 'usd',
  })
  currency: string;
}
