import { ApiServiceUnavailableResponse } from '@nestjs/swagger';
import { ErrorDetail, RETRY_AFTER_HEADER } from '#libs/http-errors';
import { STRIPE_UNAVAILABLE_DETAIL } from './stripe-failure-answers.js';

/**
 * The 503 of an operation that calls Stripe, documented once: Retry-After, Stripe's own unavailability as the first
 * example, then what else the operation can answer 503 for (`examples`), in the operation's own words.
 */
export function ApiStripeUnavailable(
  description: string,
  examples: Record<string, { summary: string; value: { detail: string } }> = {},
): MethodDecorator & ClassDecorator {
  return ApiServiceUnavailableResponse({
    type: ErrorDetail,
    description,
    headers: RETRY_AFTER_HEADER,
    examples: {
      stripe: { summary: 'Stripe unavailable', value: { detail: STRIPE_UNAVAILABLE_DETAIL } },
      ...examples,
    },
  });
}
