import { ApiProperty } from '@nestjs/swagger';

/** `{"detail": "..."}`: every non-422 error of the API. */
export class ErrorDetail {
  @ApiProperty({
    description: 'What went wrong, and for 5xx what the project developer should fix.',
    example: 'Could not validate credentials',
  })
  detail: string;
}

export class ValidationErrorItem {
  @ApiProperty({
    description: 'Where the error is: ["body", field...], ["query", name] or ["header", name].',
    type: 'array',
    items: { oneOf: [{ type: 'string' }, { type: 'integer' }] },
    example: ['body', 'return_url'],
  })
  loc: (string | number)[];

  @ApiProperty({ example: 'Field required' })
  msg: string;

  @ApiProperty({ description: "Pydantic's error type, e.g. missing, string_type, bool_parsing", example: 'missing' })
  type: string;
}

/** 422: `{"detail": [{loc, msg, type}]}`, as the reference API (FastAPI) answers. */
export class HTTPValidationError {
  @ApiProperty({ type: [ValidationErrorItem] })
  detail: ValidationErrorItem[];
}
