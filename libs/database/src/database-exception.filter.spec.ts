import { Logger, type ArgumentsHost } from '@nestjs/common';
import { Prisma } from './generated/prisma/client.js';
import { DATABASE_UNAVAILABLE, DatabaseExceptionFilter } from './database-exception.filter.js';
import { DatabaseUnavailableError } from './database-failures.js';

/** What the filter sends, read off a minimal stand-in for Fastify's reply. */
function answerTo(exception: Error): { status?: number; headers: Record<string, string>; body?: unknown } {
  const answer: { status?: number; headers: Record<string, string>; body?: unknown } = { headers: {} };
  const reply = {
    sent: false,
    header(name: string, value: string) {
      answer.headers[name] = value;
      return reply;
    },
    status(code: number) {
      answer.status = code;
      return reply;
    },
    send(body: unknown) {
      answer.body = body;
      return reply;
    },
  };
  const host = { switchToHttp: () => ({ getResponse: () => reply }) } as unknown as ArgumentsHost;
  new DatabaseExceptionFilter().catch(exception, host);
  return answer;
}

const known = (code: string) => new Prisma.PrismaClientKnownRequestError('failed', { code, clientVersion: '7.10.0' });

describe('DatabaseExceptionFilter', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it.each([
    ['a connection that stopped answering', new DatabaseUnavailableError('no answer within 1500 ms')],
    ['a connection closed under Prisma (P1017)', known('P1017')],
    [
      'a transaction that could not start in time (P2028)',
      new Prisma.PrismaClientKnownRequestError(
        'Transaction API error: Unable to start a transaction in the given time.',
        { code: 'P2028', clientVersion: '7.10.0' },
      ),
    ],
  ])('answers %s with 503 and Retry-After', (_name, exception) => {
    expect(answerTo(exception)).toEqual({
      status: 503,
      headers: { 'Retry-After': '5' },
      body: { detail: DATABASE_UNAVAILABLE },
    });
  });

  it.each([
    ['an unexpected unique violation (P2002)', known('P2002')],
    ['a record that was not there (P2025)', known('P2025')],
    ['an unknown request error', new Prisma.PrismaClientUnknownRequestError('boom', { clientVersion: '7.10.0' })],
  ])('answers %s, a bug, with 500 and no Retry-After', (_name, exception) => {
    expect(answerTo(exception)).toEqual({ status: 500, headers: {}, body: { detail: 'Internal server error' } });
  });
});
