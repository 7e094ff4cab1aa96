import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpException, HttpStatus, PayloadTooLargeException } from '@nestjs/common';
import bodyParser from 'body-parser';
import type { FastifyInstance } from 'fastify';
import { Issue, RequestValidationException } from './validation-errors.js';

interface BodyParserError {
  type?: string;
  status: number;
  message?: string;
  /** The raw body, which body-parser attaches to parse errors. */
  body?: string;
}

export const UNSUPPORTED_MEDIA_TYPE = 'Unsupported media type; send application/json';

/**
 * Routes whose handler needs the exact bytes it was sent (a signed body): their body is a Buffer, read with its own
 * limit, JSON content only (415 otherwise), never decoded or re-encoded.
 */
export interface RawBodyRoute {
  /** Matched case-insensitively against the start of the request's path, as the router matches routes. */
  pathPrefix: string;
  limitBytes: number;
}

type Reader = (request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * Replaces Fastify's body parsers with body-parser's JSON reader for every content type: it decodes
 * Content-Encoding (gzip, deflate, br) and UTF charsets, enforces `limitBytes`, and leaves non-JSON bodies undefined (so
 * validation answers 422, as the reference does). Its failures become the reference's 413/415/422 shapes.
 * `rawRoutes` get their body as the bytes received instead (see RawBodyRoute).
 */
export function registerJsonBodyParser(
  fastify: FastifyInstance,
  limitBytes: number,
  rawRoutes: readonly RawBodyRoute[] = [],
): void {
  // strict: false lets a JSON string or number body through to validation, which answers 422 as the reference does.
  const readJson = bodyParser.json({ limit: limitBytes, strict: false });
  const rawReaders = rawRoutes.map((route) => ({
    prefix: route.pathPrefix.toLowerCase(),
    limitBytes: route.limitBytes,
    // inflate: false: a signature covers the bytes as sent; a compressed body is refused (415), not unpacked.
    read: bodyParser.raw({ type: () => true, limit: route.limitBytes, inflate: false }) as Reader,
  }));
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', (request, _payload, done) => {
    const raw = request.raw as IncomingMessage & { body?: unknown };
    const path = (raw.url ?? '').toLowerCase();
    const rawRoute = rawReaders.find((route) => path.startsWith(route.prefix));
    if (rawRoute && !isJsonContentType(raw)) {
      done(
        new HttpException(
          { detail: 'Unsupported media type; send application/json' },
          HttpStatus.UNSUPPORTED_MEDIA_TYPE,
        ),
      );
      return;
    }
    const reader: Reader = rawRoute ? rawRoute.read : readJson;
    const readerLimit = rawRoute ? rawRoute.limitBytes : limitBytes;
    let settled = false;
    const settle = (error: Error | null, body?: unknown) => {
      if (settled) return;
      settled = true;
      raw.off('data', countBytes);
      done(error, body);
    };
    // body-parser answers an oversized body only once the client has finished sending it, which a never-ending
    // chunked body never does: a plain (not content-encoded) body is measured here as it arrives.
    let received = 0;
    const countBytes = (chunk: Buffer) => {
      received += chunk.length;
      if (received > readerLimit) settle(tooLarge(readerLimit));
    };
    if (isIdentityEncoded(raw)) raw.on('data', countBytes);
    // body-parser never touches the response; it only reads the request stream.
    reader(raw, {} as ServerResponse, (error?: unknown) =>
      error === undefined ? settle(null, raw.body) : settle(bodyParserException(error, readerLimit)),
    );
  });
}

function isJsonContentType(raw: IncomingMessage): boolean {
  const type = (raw.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

function isIdentityEncoded(raw: IncomingMessage): boolean {
  const encoding = raw.headers['content-encoding'];
  return encoding === undefined || encoding.trim().toLowerCase() === 'identity';
}

function tooLarge(limit: number): PayloadTooLargeException {
  return new PayloadTooLargeException({ detail: `Request body is larger than the limit of ${limit} bytes` });
}

/** The API's answer to a body that could not be read: 413, 415 or a Pydantic-shaped 422 `json_invalid`. */
function bodyParserException(error: unknown, limitBytes: number): Error {
  if (!isBodyParserError(error)) return error instanceof Error ? error : new Error(String(error));
  switch (error.type) {
    case 'entity.too.large':
      return tooLarge(limitBytes);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpException(
        { detail: 'Unsupported request body encoding or charset; send UTF-8 JSON' },
        HttpStatus.UNSUPPORTED_MEDIA_TYPE,
      );
    default: {
      // Malformed JSON, and bodies that cannot be decoded at all (e.g. a corrupt gzip stream): not valid JSON.
      const position = /position (\d+)/.exec(error.message ?? '')?.[1];
      const truncated = error.type === 'entity.parse.failed' && typeof error.body === 'string';
      const offset = position !== undefined ? Number(position) : truncated ? error.body!.length : undefined;
      const loc = offset === undefined ? ['body'] : ['body', offset];
      return new RequestValidationException([{ loc, ...Issue.jsonInvalid }]);
    }
  }
}

function isBodyParserError(error: unknown): error is BodyParserError {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as Partial<BodyParserError> & { statusCode?: number };
  const status = candidate.status ?? candidate.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500;
}
