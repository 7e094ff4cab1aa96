import { Injectable, NotFoundException } from '@nestjs/common';
import type Stripe from 'stripe';
import { PROJECT_NOT_CONFIGURED } from '#libs/billing-portal';
import type { StripeMode } from '#libs/config';
import { Issue, RequestValidationException } from '#libs/http-errors';
import { CustomerNotLinked, StripeConfigRepository, StripeCustomersRepository } from '#libs/projects';
import { classifyStripeFailure, StripeCalls, StripeClientFactory } from '#libs/stripe';
import { answerStripeFailure, type StripeFailureOverride } from '#libs/stripe-http';
import type { StripeCustomerLinkResponse } from './stripe-tools.dto.js';

/** Maps a project's end users to Stripe customers that exist in the project's own Stripe account. */
@Injectable()
export class CustomerLinksService {
  constructor(
    private readonly customers: StripeCustomersRepository,
    private readonly configs: StripeConfigRepository,
    private readonly stripeClients: StripeClientFactory,
    private readonly stripeCalls: StripeCalls,
  ) {}

  async link(
    projectId: string,
    userId: string,
    mode: StripeMode,
    stripeCustomerId: string,
  ): Promise<StripeCustomerLinkResponse> {
    await this.requireCustomerInStripe(projectId, mode, stripeCustomerId);
    await this.customers.link(projectId, userId, mode, stripeCustomerId);
    return { project_id: projectId, user_id: userId, test_mode: mode === 'test', stripe_customer_id: stripeCustomerId };
  }

  async unlink(projectId: string, userId: string, mode: StripeMode): Promise<void> {
    if (!(await this.customers.unlink(projectId, userId, mode))) throw new CustomerNotLinked();
  }

  /** A customer id from another account, mode or a typo would only fail later, in the end user's portal request. */
  private async requireCustomerInStripe(projectId: string, mode: StripeMode, customerId: string): Promise<void> {
    const credentials = await this.configs.credentialsFor(projectId, mode);
    if (!credentials) throw new NotFoundException({ detail: PROJECT_NOT_CONFIGURED });
    const stripe = this.stripeClients.clientFor({
      projectId,
      mode,
      version: credentials.version,
      secretKey: () => credentials.secretKey,
    });
    let customer: Stripe.Customer | Stripe.DeletedCustomer;
    try {
      customer = await this.stripeCalls.run('customers.retrieve', projectId, () =>
        stripe.customers.retrieve(customerId),
      );
    } catch (error) {
      throw answerStripeFailure(classifyStripeFailure(error), mode, CUSTOMER_LOOKUP_FAILURES);
    }
    if (customer.deleted) {
      throw customerProblem(`the customer has been deleted from this project's Stripe ${mode} mode account`);
    }
  }
}

function customerProblem(reason: string): RequestValidationException {
  return RequestValidationException.at(['body', 'stripe_customer_id'], Issue.valueError(reason));
}

/** A missing customer is the request's fault, not the configuration's; a restricted key needs its own advice. */
const CUSTOMER_LOOKUP_FAILURES: readonly StripeFailureOverride[] = [
  {
    outcome: 'invalid_request',
    code: 'resource_missing',
    answer: {
      status: 422,
      loc: ['body', 'stripe_customer_id'],
      reason: (_failure, mode) => `no such customer in this project's Stripe ${mode} mode account`,
    },
  },
  {
    outcome: 'permission_error',
    answer: {
      status: 502,
      detail: (_failure, mode) =>
        `The project's ${mode} mode Stripe key lacks permission to read customers; use a secret key, or grant the restricted key read access to Customers`,
    },
  },
];
