import { applyDecorators } from '@nestjs/common';
import { ApiQuery, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { PAYMENT_STATUSES, SUBSCRIPTION_STATUSES } from '#libs/billing-records';
import {
  HTTPValidationError,
  Issue,
  OptionalLiteralQueryPipe,
  OptionalStripeModePipe,
  OptionalTextQueryPipe,
  OptionalUuidQueryPipe,
} from '#libs/http-errors';

// The reference's documented payment filters include `canceled`; this service never records it, so it matches nothing.
export const PAYMENT_STATUS_FILTERS = [...PAYMENT_STATUSES, 'canceled'] as const;

export const subscriptionStatusQuery = new OptionalLiteralQueryPipe('status', SUBSCRIPTION_STATUSES);
export const paymentStatusQuery = new OptionalLiteralQueryPipe('status', PAYMENT_STATUS_FILTERS);
/** The reference's cross-project `status` is any string: compared exactly, an unknown one matches nothing. */
export const statusTextQuery = new OptionalTextQueryPipe('status');
export const projectFilterQuery = new OptionalUuidQueryPipe('project_id');
export const modeFilterQuery = new OptionalStripeModePipe();

const list = (values: readonly string[]) => values.map((value) => `\`${value}\``).join(', ');

/**
 * `status`: an extension of the per-project listings, one of `values` exactly (422 otherwise); on the cross-project
 * listings the reference's free string, compared exactly (an unknown status matches nothing). Absent shows all.
 */
export function ApiStatusQuery(values: readonly string[], kind: 'extension' | 'reference'): MethodDecorator {
  // OpenAPI 3.0's form of the reference's `anyOf [string, null]`.
  return ApiQuery({
    name: 'status',
    required: false,
    schema: {
      type: 'string',
      ...(kind === 'extension' && { enum: [...values] }),
      nullable: true,
      title: 'Status',
      description: 'Filter by status',
    },
    description:
      kind === 'extension'
        ? `Extension: filter by status, one of ${list(values)}; absent shows all.`
        : `Filter by status, compared exactly (the statuses recorded: ${list(values)}; any other matches nothing); ` +
          'absent shows all.',
  });
}

/**
 * The cross-project listings' `project_id` and `test_mode` filters, absent meaning no filter; nullable as the
 * reference's `anyOf [X, null]`.
 */
export function ApiDeveloperFilterQueries(): MethodDecorator {
  return applyDecorators(
    ApiQuery({
      name: 'project_id',
      required: false,
      schema: { type: 'string', format: 'uuid', nullable: true, title: 'Project Id', description: 'Filter by project' },
      description: "Filter by project: one of yours (anyone else's answers 404, as a missing one does).",
    }),
    ApiQuery({
      name: 'test_mode',
      required: false,
      schema: { type: 'boolean', nullable: true, title: 'Test Mode', description: 'Filter by test mode' },
      description:
        'Filter by test mode: true for test records, false for live ones, absent for both (true/false, 1/0, ' +
        'yes/no, on/off, t/f, y/n).',
    }),
  );
}

/**
 * 422 for any malformed query parameter of a listing; the example is a `status` outside `statuses` (per-project) or a
 * malformed `project_id` (cross-project, where any status text is a filter).
 */
export function ApiListingValidation(parameters: string, statuses: readonly string[] | null): MethodDecorator {
  return ApiUnprocessableEntityResponse({
    type: HTTPValidationError,
    description:
      `Invalid ${parameters}, ${statuses ? 'status' : 'status text (a NUL character)'}, page (an integer from 1) or ` +
      'page_size (an integer from 1 to 100).',
    example: {
      detail: [
        statuses
          ? { loc: ['query', 'status'], ...Issue.literalError(statuses) }
          : { loc: ['query', 'project_id'], ...Issue.uuidParsing },
      ],
    },
  });
}
