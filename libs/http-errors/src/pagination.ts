import { applyDecorators } from '@nestjs/common';
import { ApiQuery } from '@nestjs/swagger';
import { BoundedIntQueryPipe } from './param-pipes.js';

/** The reference's listing parameters: `page` (from 1) and `page_size` (1 to 100, 50 by default). */
export const PAGE_SIZE = { min: 1, max: 100, default: 50 };
// Pydantic's `ge=1` has no upper bound; the largest exact integer stands in for one.
export const PAGE = { min: 1, max: Number.MAX_SAFE_INTEGER, default: 1 };

export const pageQuery = new BoundedIntQueryPipe('page', PAGE);
export const pageSizeQuery = new BoundedIntQueryPipe('page_size', PAGE_SIZE);

/** Documents `page` and `page_size` with their bounds and defaults. */
export function ApiPageQueries(): MethodDecorator {
  return applyDecorators(
    ApiQuery({
      name: 'page',
      required: false,
      schema: { type: 'integer', minimum: PAGE.min, default: PAGE.default, title: 'Page' },
    }),
    ApiQuery({
      name: 'page_size',
      required: false,
      schema: {
        type: 'integer',
        minimum: PAGE_SIZE.min,
        maximum: PAGE_SIZE.max,
        default: PAGE_SIZE.default,
        title: 'Page Size',
      },
    }),
  );
}
