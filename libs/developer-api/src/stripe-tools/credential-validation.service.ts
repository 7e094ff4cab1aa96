import { Injectable } from '@nestjs/common';
import { credentialProblem } from '#libs/projects';
import { classifyStripeFailure, StripeCalls, StripeClientFactory } from '#libs/stripe';
import { answerStripeFailure } from '#libs/stripe-http';
import type { ValidateStripeCredentialsRequest, ValidateStripeCredentialsResponse } from './stripe-tools.dto.js';

export const CREDENTIALS_VALID = 'Credentials are valid';
export const KEY_REJECTED = 'Stripe rejected the key: invalid, expired or revoked';
export const KEY_LACKS_BALANCE_READ =
  'Stripe accepted the key, but it lacks permission to read the balance, which this check needs. A restricted key ' +
  'without Balance read access can still work for the customer portal if it may read Customers and write Customer ' +
  'portal sessions; grant it Balance read access to validate it here.';

/**
 * Checks a secret key before it is saved: its prefix for the mode, then one cheap authenticated read (the balance)
 * with a client that is never cached. The key is never stored, logged or returned; Stripe's own messages quote it
 * (masked), so none of them is passed through.
 */
@Injectable()
export class CredentialValidationService {
  constructor(
    private readonly stripeClients: StripeClientFactory,
    private readonly stripeCalls: StripeCalls,
  ) {}

  async validate(
    projectId: string,
    request: ValidateStripeCredentialsRequest,
  ): Promise<ValidateStripeCredentialsResponse> {
    const mode = request.is_test_mode ? 'test' : 'live';
    // A key of the other mode fails here, before Stripe sees it.
    const problem = credentialProblem('secretKey', mode, request.secret_key);
    if (problem) return { valid: false, message: `secret_key ${problem}` };

    const stripe = this.stripeClients.clientForKey(request.secret_key);
    try {
      // A check with a new key still runs on the project's behalf: it counts against the project's in-flight cap.
      await this.stripeCalls.run('balance.retrieve', projectId, () => stripe.balance.retrieve());
      return { valid: true, message: CREDENTIALS_VALID };
    } catch (error) {
      const failure = classifyStripeFailure(error);
      if (failure.outcome === 'authentication_error') return { valid: false, message: KEY_REJECTED };
      // Valid false: the key is genuine, but we could not confirm it can do what the service needs.
      if (failure.outcome === 'permission_error') return { valid: false, message: KEY_LACKS_BALANCE_READ };
      // Stripe unreachable, slow, rate limiting or failing: 503 with Retry-After; anything else 502.
      throw answerStripeFailure(failure, mode);
    }
  }
}
