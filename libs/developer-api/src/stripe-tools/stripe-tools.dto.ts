import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean, IsString, Matches, MinLength } from 'class-validator';
import { Issue, IsPresent, IsStorableText, issue } from '#libs/http-errors';

// class-validator runs a property's rules bottom-up and reports the first failure: presence is listed last.

/** Request to validate Stripe credentials. */
export class ValidateStripeCredentialsRequest {
  @ApiProperty({
    description:
      'The Stripe secret or restricted key to check (sk_test_/rk_test_ for test mode, sk_live_/rk_live_ for live ' +
      'mode). It is sent to Stripe once and never stored, logged or echoed.',
    minLength: 1,
    example: 'sk_test_51ABC...',
    title: 'Secret Key',
  })
  @MinLength(1, issue(Issue.stringTooShort(1)))
  @IsStorableText()
  @IsString(issue(Issue.stringType))
  @IsPresent()
  secret_key: string;

  @ApiProperty({
    required: false,
    default: true,
    description: 'Whether the key is a test mode key; false for a live key. A JSON boolean.',
    example: true,
    title: 'Is Test Mode',
  })
  // Strictly a JSON boolean; absent keeps the default, null fails the type check as in Pydantic.
  @IsBoolean(issue(Issue.boolType))
  is_test_mode: boolean = true;
}

/** Validation result for Stripe credentials. */
export class ValidateStripeCredentialsResponse {
  @ApiProperty({ description: 'Whether Stripe accepted the key for the mode.', example: true, title: 'Valid' })
  valid: boolean;

  @ApiProperty({
    description: 'Why the key is or is not valid (never contains the key, not even masked).',
    example: 'Credentials are valid',
    title: 'Message',
  })
  message: string;
}

/** Stripe webhook URLs for a project. */
export class StripeWebhookUrlsResponse {
  @ApiProperty({
    description: "Endpoint to register in the Stripe Dashboard's test mode webhooks.",
    example: 'https://billing.example.com/api/v1/payments/stripe/webhooks/550e8400-e29b-41d4-a716-446655440000/test',
    title: 'Test Webhook Url',
  })
  test_webhook_url: string;

  @ApiProperty({
    description: "Endpoint to register in the Stripe Dashboard's live mode webhooks.",
    example: 'https://billing.example.com/api/v1/payments/stripe/webhooks/550e8400-e29b-41d4-a716-446655440000/live',
    title: 'Live Webhook Url',
  })
  live_webhook_url: string;
}

export const STRIPE_CUSTOMER_ID_PATTERN = /^cus_[A-Za-z0-9]{1,250}$/;

/** Request to map an end user of the project to an existing Stripe customer. */
export class LinkStripeCustomerRequest {
  @ApiProperty({
    description: "An existing customer of the project's Stripe account in the requested mode.",
    pattern: '^cus_[A-Za-z0-9]+$',
    maxLength: 254,
    example: 'cus_QAbCdEfGhIjKlM',
    title: 'Stripe Customer Id',
  })
  @Matches(
    STRIPE_CUSTOMER_ID_PATTERN,
    issue(Issue.valueError('stripe_customer_id must be a Stripe customer id (cus_...)')),
  )
  @IsStorableText()
  @IsString(issue(Issue.stringType))
  @IsPresent()
  stripe_customer_id: string;
}

/** An end user's Stripe customer in one mode of a project. */
export class StripeCustomerLinkResponse {
  @ApiProperty({ format: 'uuid', example: '550e8400-e29b-41d4-a716-446655440000', title: 'Project Id' })
  project_id: string;

  @ApiProperty({
    format: 'uuid',
    description: 'The end user (the `sub` of their access token).',
    example: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
    title: 'User Id',
  })
  user_id: string;

  @ApiProperty({ description: 'The mode the mapping belongs to.', example: true, title: 'Test Mode' })
  test_mode: boolean;

  @ApiProperty({ example: 'cus_QAbCdEfGhIjKlM', title: 'Stripe Customer Id' })
  stripe_customer_id: string;
}
