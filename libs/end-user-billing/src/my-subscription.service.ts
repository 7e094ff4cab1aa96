import { Injectable } from '@nestjs/common';
import type { EndUserPrincipal } from '#libs/auth';
import { isEntitled, SubscriptionsRepository } from '#libs/billing-records';
import type { StripeMode } from '#libs/config';
import { toSubscriptionResponse, type StripeSubscriptionResponse } from './my-subscription.dto.js';

/** An end user's current subscription, from the local records. */
@Injectable()
export class MySubscriptionService {
  constructor(private readonly subscriptions: SubscriptionsRepository) {}

  async get(user: EndUserPrincipal, mode: StripeMode): Promise<StripeSubscriptionResponse | null> {
    const current = await this.subscriptions.findCurrentForUser(user.projectId, mode, user.userId);
    if (!current) return null;
    const { subscription, pastDueGraceDays } = current;
    return toSubscriptionResponse(subscription, isEntitled(subscription, pastDueGraceDays, new Date()));
  }
}
