import { createAppLogger, PinoNestLogger } from './app-logger.js';

function capture(level: Parameters<typeof createAppLogger>[0] = 'log') {
  const lines: Record<string, unknown>[] = [];
  const logger = createAppLogger(level, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

describe('createAppLogger', () => {
  it('censors credentials wherever a future log call might carry them', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        headers: { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig' },
        body: { test_secret_key: 'sk_test_123', live_webhook_secret: 'whsec_456', return_url: 'https://a.example' },
        portal_url: 'https://billing.stripe.com/p/session/test_789',
      },
      'something',
    );
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: 'something',
        headers: { authorization: '[redacted]' },
        body: { test_secret_key: '[redacted]', live_webhook_secret: '[redacted]', return_url: 'https://a.example' },
        portal_url: '[redacted]',
      }),
    ]);
  });

  it.each([
    ['error', ['error'], ['warn', 'info', 'debug']],
    ['log', ['error', 'warn', 'info'], ['debug', 'trace']],
    ['verbose', ['error', 'warn', 'info', 'debug', 'trace'], []],
  ] as const)('LOG_LEVEL=%s writes %j and drops %j', (level, written, dropped) => {
    const { logger, lines } = capture(level);
    for (const method of [...written, ...dropped]) logger[method](method);
    expect(lines.map((line) => line.level)).toEqual(written);
  });

  it('writes nothing when silent', () => {
    const { logger, lines } = capture('silent');
    logger.error('x');
    expect(lines).toEqual([]);
  });
});

describe('PinoNestLogger', () => {
  it("keeps Nest's context and leaves stack traces out", () => {
    const { logger, lines } = capture();
    const nest = new PinoNestLogger(logger);
    nest.log('started', 'Bootstrap');
    nest.error('failed', 'Error: failed\n    at somewhere (file.js:1:1)', 'Database');
    nest.error('no context', 'Error: boom\n    at x (y.js:1:1)');
    nest.warn('careful');
    expect(lines.map(({ level, context, msg }) => ({ level, context, msg }))).toEqual([
      { level: 'info', context: 'Bootstrap', msg: 'started' },
      { level: 'error', context: 'Database', msg: 'failed' },
      { level: 'error', context: undefined, msg: 'no context' },
      { level: 'warn', context: undefined, msg: 'careful' },
    ]);
    expect(JSON.stringify(lines)).not.toContain('at somewhere');
  });

  it("leaves out Nest's route map, whose paths lack the /v1 version, but keeps its warnings", () => {
    const { logger, lines } = capture('verbose');
    const nest = new PinoNestLogger(logger);
    nest.log('CustomerPortalController {/api/payments/stripe} (version: 1):', 'RoutesResolver');
    nest.log('Mapped {/api/payments/stripe/customer-portal, POST} (version: 1) route', 'RouterExplorer');
    nest.warn('Route conflict', 'RouterExplorer');
    nest.log('Nest application successfully started', 'NestApplication');
    expect(lines.map(({ level, context, msg }) => ({ level, context, msg }))).toEqual([
      { level: 'warn', context: 'RouterExplorer', msg: 'Route conflict' },
      { level: 'info', context: 'NestApplication', msg: 'Nest application successfully started' },
    ]);
  });
});
