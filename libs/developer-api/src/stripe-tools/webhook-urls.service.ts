import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import { AppConfig } from '#libs/config';
import type { StripeWebhookUrlsResponse } from './stripe-tools.dto.js';

export const PUBLIC_BASE_URL_MISSING =
  "PUBLIC_BASE_URL is not configured; set it to the service's external base URL to get webhook URLs";

/** Where Stripe should send a project's events: derived from the service's public address, nothing is stored. */
@Injectable()
export class WebhookUrlsService {
  constructor(private readonly config: AppConfig) {}

  webhookUrls(projectId: string): StripeWebhookUrlsResponse {
    // Guessing from the request's Host header would hand out URLs an attacker chose; the address is configured.
    const base = this.config.publicBaseUrl;
    if (!base) throw new ServiceUnavailableException({ detail: PUBLIC_BASE_URL_MISSING });
    const prefix = `${base}/api/v1/payments/stripe/webhooks/${projectId}`;
    return { test_webhook_url: `${prefix}/test`, live_webhook_url: `${prefix}/live` };
  }
}
