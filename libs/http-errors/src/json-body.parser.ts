import type { NextFunction, Request, Response } from 'express';
import { Issue, RequestValidationException } from './validation-errors.js';

interface BodyParserError {
  type?: string;
  status: number;
  limit?: number;
  message?: string;
  /** The raw body, which body-parser attaches to parse errors. */
  body?: string;
}

/**
 * Express error middleware placed right after the JSON body parser, so every error reaching it is about the body:
 * the reference API's 422/413/415 shapes, never Express's HTML or an undocumented 400.
 */
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
    case 'entity.too.large':
      return { status: 413, body: { detail: `Request body is larger than the limit of ${error.limit} bytes` } };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { status: 415, body: { detail: 'Unsupported request body encoding or charset; send UTF-8 JSON' } };
    default: {
      // Malformed JSON, and bodies that cannot be decoded at all (e.g. a corrupt gzip stream): not valid JSON.
      const position = /position (\d+)/.exec(error.message ?? '')?.[1];
      const truncated = error.type === 'entity.parse.failed' && typeof error.body === 'string';
      const offset = position !== undefined ? Number(position) : truncated ? error.body!.length : undefined;
      const loc = offset === undefined ? ['body'] : ['body', offset];
      return { status: 422, body: new RequestValidationException([{ loc, ...Issue.jsonInvalid }]).getResponse() };
    }
  }
}

function isBodyParserError(error: unknown): error is BodyParserError {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as Partial<BodyParserError> & { statusCode?: number };
  const status = candidate.status ?? candidate.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500;
}
