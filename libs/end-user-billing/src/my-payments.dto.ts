import { ApiProperty } from '@nestjs/swagger';
import type { Payment } from '#libs/billing-records';

/** Stripe payment details, as the reference's `StripePaymentResponse`. */
export class StripePaymentResponse {
  @ApiProperty({ format: 'uuid', title: 'Id' })
  id: string;

  @ApiProperty({ format: 'uuid', title: 'Project Id' })
  project_id: string;

  @ApiProperty({
    type: 'string',
    format: 'uuid',
    nullable: true,
    required: false,
    title: 'Subscription Id',
    description: "This service's id of the subscription the payment paid for (null for a one-time payment).",
  })
  subscription_id: string | null;

  @ApiProperty({ type: 'string', format: 'uuid', nullable: true, required: false, title: 'User Id' })
  user_id: string | null;

  @ApiProperty({ title: 'Is Test Mode' })
  is_test_mode: boolean;

  @ApiProperty({ title: 'Payment Intent Id', example: 'pi_3ABC123' })
  payment_intent_id: string;

  @ApiProperty({
    title: 'Status',
    description: '`succeeded`, `pending`, `failed`, or `refunded` once fully refunded.',
    example: 'succeeded',
  })
  status: string;

  @ApiProperty({ type: 'integer', title: 'Amount Cents', example: 2000 })
  amount_cents: number;

  @ApiProperty({ title: 'Currency', example: 'usd' })
  currency: string;

  @ApiProperty({ type: 'string', nullable: true, required: false, title: 'Description' })
  description: string | null;

  @ApiProperty({
    type: 'integer',
    default: 0,
    required: false,
    title: 'Refunded Amount Cents',
    description: 'What was refunded of the amount, in all.',
  })
  refunded_amount_cents: number;

  @ApiProperty({ format: 'date-time', title: 'Created At', description: "Stripe's creation time of the payment." })
  created_at: string;
}

/** Paginated list of Stripe payments, as the reference's `StripePaymentListResponse`. */
export class StripePaymentListResponse {
  @ApiProperty({ type: [StripePaymentResponse], title: 'Payments' })
  payments: StripePaymentResponse[];

  @ApiProperty({ type: 'integer', title: 'Total', description: 'Payments in all, across every page.' })
  total: number;

  @ApiProperty({ type: 'integer', title: 'Page' })
  page: number;

  @ApiProperty({ type: 'integer', title: 'Page Size' })
  page_size: number;
}

/** The fields of a payment record its answer shows (the developer listings read the same fields). */
export type PaymentFields = Pick<
  Payment,
  | 'id'
  | 'projectId'
  | 'subscriptionId'
  | 'userId'
  | 'mode'
  | 'paymentIntentId'
  | 'status'
  | 'amountCents'
  | 'currency'
  | 'description'
  | 'refundedAmountCents'
  | 'createdAt'
>;

export function toPaymentResponse(payment: PaymentFields): StripePaymentResponse {
  return {
    id: payment.id,
    project_id: payment.projectId,
    subscription_id: payment.subscriptionId,
    user_id: payment.userId,
    is_test_mode: payment.mode === 'test',
    payment_intent_id: payment.paymentIntentId,
    status: payment.status,
    amount_cents: payment.amountCents,
    currency: payment.currency,
    description: payment.description,
    refunded_amount_cents: payment.refundedAmountCents,
    created_at: payment.createdAt.toISOString(),
  };
}
