import { CircuitBreaker, type BreakerListener } from './circuit-breaker.js';

const BACKOFF_MS = 5000;

/** A breaker on a clock the test moves, recording what it tells its listener. */
function breakerOnFakeClock() {
  let now = 1_700_000_000_000;
  const events: string[] = [];
  const listener: BreakerListener = {
    opened: (error, probe) => events.push(`opened${probe ? ' after probe' : ''}: ${(error as Error).message}`),
    closed: () => events.push('closed'),
  };
  const breaker = new CircuitBreaker(BACKOFF_MS, listener, () => now);
  return { breaker, events, advance: (ms: number) => void (now += ms) };
}

describe('CircuitBreaker', () => {
  it('lets every call through while the store answers', () => {
    const { breaker, events } = breakerOnFakeClock();
    for (let call = 0; call < 3; call += 1) {
      expect(breaker.permits()).toBe(true);
      breaker.succeeded();
    }
    expect(breaker.state).toBe('closed');
    expect(events).toEqual([]);
  });

  it('opens on a failure and lets nothing through until the back-off is over', () => {
    const { breaker, events, advance } = breakerOnFakeClock();
    breaker.failed(new Error('Command timed out'));

    expect(breaker.state).toBe('open');
    expect(events).toEqual(['opened: Command timed out']);
    expect(breaker.permits()).toBe(false);
    advance(BACKOFF_MS - 1);
    expect(breaker.permits()).toBe(false);
    expect(breaker.state).toBe('open');
  });

  it('tells of one opening when calls already in flight fail after it', () => {
    const { breaker, events, advance } = breakerOnFakeClock();
    breaker.failed(new Error('Command timed out'));
    advance(100);
    breaker.failed(new Error('Command timed out'));
    breaker.failed(new Error('Connection is closed.'));

    expect(events).toEqual(['opened: Command timed out']);
    // Later failures do not push the probe back: the back-off counts from the opening.
    advance(BACKOFF_MS - 100);
    expect(breaker.permits()).toBe(true);
  });

  it('after the back-off lets exactly one probe through, and closes when it succeeds', () => {
    const { breaker, events, advance } = breakerOnFakeClock();
    breaker.failed(new Error('Command timed out'));
    advance(BACKOFF_MS);

    expect(breaker.permits()).toBe(true);
    expect(breaker.state).toBe('half-open');
    // While the probe is out, everyone else still counts locally.
    expect(breaker.permits()).toBe(false);
    expect(breaker.permits()).toBe(false);

    breaker.succeeded();
    expect(breaker.state).toBe('closed');
    expect(events).toEqual(['opened: Command timed out', 'closed']);
    expect(breaker.permits()).toBe(true);
  });

  it('opens again for a whole back-off when the probe fails', () => {
    const { breaker, events, advance } = breakerOnFakeClock();
    breaker.failed(new Error('Command timed out'));
    advance(BACKOFF_MS + 1234);
    expect(breaker.permits()).toBe(true);
    advance(250);
    breaker.failed(new Error('Command timed out'));

    expect(breaker.state).toBe('open');
    expect(events).toEqual(['opened: Command timed out', 'opened after probe: Command timed out']);
    advance(BACKOFF_MS - 1);
    expect(breaker.permits()).toBe(false);
    advance(1);
    expect(breaker.permits()).toBe(true);
    breaker.succeeded();
    expect(events.at(-1)).toBe('closed');
  });

  it('is not closed by an answer to a call made before it opened, only by the probe', () => {
    const { breaker, events } = breakerOnFakeClock();
    breaker.failed(new Error('Command timed out'));
    breaker.succeeded();

    expect(breaker.state).toBe('open');
    expect(breaker.permits()).toBe(false);
    expect(events).toEqual(['opened: Command timed out']);
  });
});
