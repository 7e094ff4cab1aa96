import { HttpException, NotFoundException } from '@nestjs/common';
import Stripe from 'stripe';
import type { StripeMode } from '#libs/config';
import { classifyStripeFailure } from '#libs/stripe';
import { answerStripeFailure, StripeConfigurationException } from '#libs/stripe-http';
import { NO_CUSTOMER_DETAIL } from '#libs/projects';
import { PORTAL_SESSION_FAILURES } from './portal-stripe-failures.js';

const { errors } = Stripe;

function portalAnswer(error: unknown, mode: StripeMode): HttpException {
  return answerStripeFailure(classifyStripeFailure(error), mode, PORTAL_SESSION_FAILURES);
}

function detailOf(exception: HttpException): string {
  return (exception.getResponse() as { detail: string }).detail;
}

function expectBadGateway(exception: HttpException, detail: string): void {
  expect(exception).toBeInstanceOf(StripeConfigurationException);
  expect(exception.getStatus()).toBe(502);
  expect(exception.getResponse()).toEqual({ detail });
}

const PORTAL_NOT_SET_UP =
  'No configuration provided and your test mode default configuration has not been created. Provide a configuration or create your default by saving your customer portal settings in test mode at https://dashboard.stripe.com/test/settings/billing/portal.';

describe('NO_CUSTOMER_DETAIL', () => {
  it('is the reference API’s sentence', () => {
    expect(NO_CUSTOMER_DETAIL).toBe('No Stripe customer found for user');
  });
});

describe('the portal’s answers to invalid requests', () => {
  it('maps resource_missing on the customer parameter to 404 with the reference sentence', () => {
    const error = new errors.StripeInvalidRequestError({
      message: "No such customer: 'cus_123'",
      type: 'invalid_request_error',
      code: 'resource_missing',
      param: 'customer',
      statusCode: 400,
    });
    const exception = portalAnswer(error, 'test');
    expect(exception).toBeInstanceOf(NotFoundException);
    expect(exception.getStatus()).toBe(404);
    expect(exception.getResponse()).toEqual({ detail: 'No Stripe customer found for user' });
  });

  it('maps resource_missing on another parameter to 502 naming the parameter', () => {
    const error = new errors.StripeInvalidRequestError({
      message: "No such configuration: 'bpc_123'",
      type: 'invalid_request_error',
      code: 'resource_missing',
      param: 'configuration',
      statusCode: 400,
    });
    expectBadGateway(
      portalAnswer(error, 'test'),
      "Stripe rejected the request (parameter: configuration): No such configuration: 'bpc_123'",
    );
  });

  it('does not treat another error code on the customer parameter as a missing customer', () => {
    const error = new errors.StripeInvalidRequestError({
      message: 'Invalid string: customer',
      type: 'invalid_request_error',
      code: 'parameter_invalid_string',
      param: 'customer',
      statusCode: 400,
    });
    expectBadGateway(
      portalAnswer(error, 'test'),
      'Stripe rejected the request (parameter: customer): Invalid string: customer',
    );
  });

  it.each(['test', 'live'] as const)(
    'maps the missing default portal configuration (%s mode) to 502 pointing at the Customer portal settings',
    (mode) => {
      const error = new errors.StripeInvalidRequestError({
        message: PORTAL_NOT_SET_UP.replace(/test mode/g, `${mode} mode`),
        type: 'invalid_request_error',
        statusCode: 400,
      });
      const exception = portalAnswer(error, mode);
      expectBadGateway(
        exception,
        `The Stripe Customer Portal is not set up for the project's ${mode} mode; save the portal settings in the Stripe Dashboard (Settings > Billing > Customer portal) or store a portal configuration id`,
      );
      expect(detailOf(exception)).toContain('Customer portal');
    },
  );

  it('leaves every other failure to the shared table', () => {
    const error = new errors.StripePermissionError({ message: 'no permission', statusCode: 403 });
    expectBadGateway(
      portalAnswer(error, 'live'),
      "The project's live mode Stripe key lacks a permission this request needs; use a secret key, or grant the restricted key write access to the Customer portal",
    );
  });
});
