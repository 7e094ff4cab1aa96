import { Logger, type ArgumentsHost } from '@nestjs/common';
import { FILTER_CATCH_EXCEPTIONS } from '@nestjs/common/constants.js';
import { DriverAdapterError } from '@prisma/driver-adapter-utils';
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

/** Whether Nest would hand `exception` to this filter: its @Catch types, matched with instanceof as Nest does. */
function caught(exception: unknown): boolean {
  const types = Reflect.getMetadata(FILTER_CATCH_EXCEPTIONS, DatabaseExceptionFilter) as (new () => object)[];
  return types.some((type) => exception instanceof type);
}

const known = (code: string) => new Prisma.PrismaClientKnownRequestError('failed', { code, clientVersion: '7.10.0' });

describe('DatabaseExceptionFilter', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it.each([
    ['a connection that stopped answering', new DatabaseUnavailableError('no answer within 1500 ms')],
    ['a connection closed under Prisma (P1017)', known('P1017')],
    ['a connection closed, let through by Prisma', new DriverAdapterError({ kind: 'ConnectionClosed' })],
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

  it('takes driver adapter errors that Prisma let through, and leaves other errors to the generic filter', () => {
    expect({
      adapter: caught(new DriverAdapterError({ kind: 'ConnectionClosed' })),
      unavailable: caught(new DatabaseUnavailableError('no answer within 1500 ms')),
      prisma: caught(known('P2002')),
      plain: caught(new Error('Connection terminated unexpectedly')),
      bug: caught(new TypeError('x is undefined')),
    }).toEqual({ adapter: true, unavailable: true, prisma: true, plain: false, bug: false });
  });

  it.each([
    ['an unexpected unique violation (P2002)', known('P2002')],
    ['a record that was not there (P2025)', known('P2025')],
    [
      'a unique violation let through by Prisma',
      new DriverAdapterError({ kind: 'UniqueConstraintViolation', constraint: { fields: ['id'] } }),
    ],
    ['an unknown request error', new Prisma.PrismaClientUnknownRequestError('boom', { clientVersion: '7.10.0' })],
  ])('answers %s, a bug, with 500 and no Retry-After', (_name, exception) => {
    expect(answerTo(exception)).toEqual({ status: 500, headers: {}, body: { detail: 'Internal server error' } });
  });
});
