/** `closed`: the shared store is asked. `open`: it is not, until the back-off ends. `half-open`: one probe is out. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** Told about the breaker's transitions (logs, metrics). */
export interface BreakerListener {
  /** Closed -> open: the store just failed after working (`probe` false), or a probe failed (`probe` true). */
  opened(error: unknown, probe: boolean): void;
  /** A probe succeeded: the store is asked again. */
  closed(): void;
}

/**
 * A circuit breaker in front of a shared store that fails slowly (a stalled Redis costs a command timeout per call).
 * After a failure no call is let through for `backoffMs`; then the first call is let through as a probe while the
 * others still are not; the probe's success closes the breaker, its failure opens it for another back-off.
 */
export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private openedAt = 0;

  constructor(
    private readonly backoffMs: number,
    private readonly listener: BreakerListener,
    private readonly now: () => number = () => Date.now(),
  ) {}

  get state(): BreakerState {
    return this.current;
  }

  /** Whether this call may ask the store; when the back-off is over, the first caller becomes the probe. */
  permits(): boolean {
    if (this.current === 'closed') return true;
    if (this.current === 'open' && this.now() - this.openedAt >= this.backoffMs) {
      this.current = 'half-open';
      return true;
    }
    return false;
  }

  /** A permitted call got its answer. Only the probe closes the breaker: the back-off outlasts any earlier call. */
  succeeded(): void {
    if (this.current !== 'half-open') return;
    this.current = 'closed';
    this.listener.closed();
  }

  /** A call (or the connection) failed: open for a back-off, unless already open. */
  failed(error: unknown): void {
    if (this.current === 'open') return;
    const probe = this.current === 'half-open';
    this.current = 'open';
    this.openedAt = this.now();
    this.listener.opened(error, probe);
  }
}
