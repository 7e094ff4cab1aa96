import { ApiProperty } from '@nestjs/swagger';
import type { Subscription } from '#libs/billing-records';

const timestamp = (title: string, description: string) =>
  ApiProperty({ type: 'string', format: 'date-time', nullable: true, required: false, title, description });

/** Stripe subscription details, as the reference's `StripeSubscriptionResponse`, with three extension fields. */
export class StripeSubscriptionResponse {
  @ApiProperty({ format: 'uuid', title: 'Id', description: "This service's id of the subscription." })
  id: string;

  @ApiProperty({ format: 'uuid', title: 'Project Id' })
  project_id: string;

  @ApiProperty({ type: 'string', format: 'uuid', nullable: true, required: false, title: 'User Id' })
  user_id: string | null;

  @ApiProperty({ title: 'Is Test Mode' })
  is_test_mode: boolean;

  @ApiProperty({ title: 'Subscription Id', description: "Stripe's subscription id.", example: 'sub_1ABC123def456' })
  subscription_id: string;

  @ApiProperty({ type: 'string', nullable: true, required: false, title: 'Customer Id', example: 'cus_XYZ789' })
  customer_id: string | null;

  @ApiProperty({
    title: 'Status',
    description:
      "Stripe's status: `incomplete`, `incomplete_expired`, `trialing`, `active`, `past_due`, `canceled`, `unpaid` " +
      'or `paused`. my-subscription answers only a subscription that has not ended: `active`, `trialing`, ' +
      '`past_due`, `unpaid` or `paused`.',
    example: 'active',
  })
  status: string;

  @ApiProperty({
    type: 'string',
    nullable: true,
    required: false,
    title: 'Plan Name',
    description: "The price's nickname, else its product's name.",
    example: 'Pro Plan',
  })
  plan_name: string | null;

  @ApiProperty({ type: 'integer', title: 'Quantity', example: 1 })
  quantity: number;

  @timestamp('Current Period Start', 'Start of the current billing period.')
  current_period_start: string | null;

  @timestamp('Current Period End', 'End of the current billing period (the renewal date).')
  current_period_end: string | null;

  @timestamp('Cancel At', 'When the subscription is scheduled to end, if it is.')
  cancel_at: string | null;

  @timestamp('Cancelled At', 'When its cancellation was requested.')
  cancelled_at: string | null;

  @ApiProperty({ format: 'date-time', title: 'Created At', description: "Stripe's creation time of the subscription." })
  created_at: string;

  @ApiProperty({
    type: 'string',
    nullable: true,
    required: false,
    title: 'Price Id',
    description: 'Extension: the Stripe price the subscription bills.',
    example: 'price_1ABC123def456',
  })
  price_id: string | null;

  @ApiProperty({
    required: false,
    title: 'Cancel At Period End',
    description: 'Extension: true while the subscription is set to end at the end of the current period.',
    example: false,
  })
  cancel_at_period_end: boolean;

  @ApiProperty({
    required: false,
    title: 'Is Entitled',
    description:
      'Extension: whether the user should have access now, the one rule for every app: `active` and `trialing` ' +
      "grant it; `past_due` does for the project's `past_due_grace_days` counted from when it became past_due " +
      '(0 by default); nothing else does.',
    example: true,
  })
  is_entitled: boolean;
}

/** What the response shows of a subscription record (a developer listing's rows have these too). */
export type SubscriptionFields = Pick<
  Subscription,
  | 'id'
  | 'projectId'
  | 'userId'
  | 'mode'
  | 'stripeSubscriptionId'
  | 'stripeCustomerId'
  | 'status'
  | 'planName'
  | 'quantity'
  | 'currentPeriodStart'
  | 'currentPeriodEnd'
  | 'cancelAt'
  | 'canceledAt'
  | 'createdAt'
  | 'priceId'
  | 'cancelAtPeriodEnd'
>;

export function toSubscriptionResponse(
  subscription: SubscriptionFields,
  entitled: boolean,
): StripeSubscriptionResponse {
  return {
    id: subscription.id,
    project_id: subscription.projectId,
    user_id: subscription.userId,
    is_test_mode: subscription.mode === 'test',
    subscription_id: subscription.stripeSubscriptionId,
    customer_id: subscription.stripeCustomerId,
    status: subscription.status,
    plan_name: subscription.planName,
    quantity: subscription.quantity,
    current_period_start: subscription.currentPeriodStart?.toISOString() ?? null,
    current_period_end: subscription.currentPeriodEnd?.toISOString() ?? null,
    cancel_at: subscription.cancelAt?.toISOString() ?? null,
    cancelled_at: subscription.canceledAt?.toISOString() ?? null,
    created_at: subscription.createdAt.toISOString(),
    price_id: subscription.priceId,
    cancel_at_period_end: subscription.cancelAtPeriodEnd,
    is_entitled: entitled,
  };
}
