import { Injectable } from '@nestjs/common';
import type { EndUserPrincipal } from '#libs/auth';
import { PaymentsRepository } from '#libs/billing-records';
import type { StripeMode } from '#libs/config';
import { toPaymentResponse, type StripePaymentListResponse } from './my-payments.dto.js';

/** An end user's own payment history, from the local records. */
@Injectable()
export class MyPaymentsService {
  constructor(private readonly payments: PaymentsRepository) {}

  async list(
    user: EndUserPrincipal,
    mode: StripeMode,
    page: { page: number; pageSize: number },
  ): Promise<StripePaymentListResponse> {
    const { payments, total } = await this.payments.pageForUser(user.projectId, mode, user.userId, page);
    return { payments: payments.map(toPaymentResponse), total, page: page.page, page_size: page.pageSize };
  }
}
