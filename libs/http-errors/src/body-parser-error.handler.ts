import type { NextFunction, Request, Response } from 'express';
import { Issue, RequestValidationException } from './validation-errors.js';

interface BodyParserError {
  type: string;
  status: number;
  limit?: number;
  message?: string;
  /** The raw body, which body-parser attaches to parse errors. */
  body?: string;
}

/** Express error middleware for JSON body-parser failures: the reference API's 422/413 shapes, never Express's HTML. */
export function bodyParserErrorHandler(
  error: unknown,
  _request: Request,
  response: Response,
  next: NextFunction,
): void {
  if (!isBodyParserError(error)) return next(error);
  const { status, body } = describe(error);
  response.status(status).json(body);
}

function describe(error: BodyParserError): { status: number; body: unknown } {
  switch (error.type) {
    case 'entity.parse.failed': {
      // Like Pydantic, point at the character where decoding failed (the end, for truncated input).
      const position = /position (\d+)/.exec(error.message ?? '')?.[1];
      const offset =
        position !== undefined ? Number(position) : typeof error.body === 'string' ? error.body.length : undefined;
      const loc = offset === undefined ? ['body'] : ['body', offset];
      return { status: 422, body: new RequestValidationException([{ loc, ...Issue.jsonInvalid }]).getResponse() };
    }
    case 'entity.too.large':
      return { status: 413, body: { detail: `Request body is larger than the limit of ${error.limit} bytes` } };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { status: 415, body: { detail: 'Unsupported request body encoding or charset; send UTF-8 JSON' } };
    default:
      return { status: 400, body: { detail: 'Malformed request body' } };
  }
}

function isBodyParserError(error: unknown): error is BodyParserError {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as Partial<BodyParserError>;
  return typeof candidate.type === 'string' && typeof candidate.status === 'number' && candidate.status < 500;
}
