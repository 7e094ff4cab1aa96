import { Injectable } from '@nestjs/common';
import { AppConfig } from '#libs/config';
import { withinBudget } from './stripe-call.js';

/** Raised, without calling Stripe, when the project already has as many Stripe calls in flight as it may. */
export class StripeBulkheadFullError extends Error {
  constructor(readonly maxInFlight: number) {
    super(`The project already has ${maxInFlight} Stripe calls in flight`);
    this.name = 'StripeBulkheadFullError';
  }
}

/**
 * Every Stripe call of a project goes through `run`: at most `STRIPE_MAX_IN_FLIGHT_PER_PROJECT` per project at once
 * (beyond it the call is refused at once, never queued), each answered within `STRIPE_TIMEOUT_MS`. One project whose
 * Stripe account is slow can then hold only its own slots, not the process's sockets, memory and event loop.
 */
@Injectable()
export class ProjectBulkhead {
  private readonly inFlightByProject = new Map<string, number>();
  private readonly maxInFlight: number;
  private readonly budgetMs: number;

  constructor(config: AppConfig) {
    this.maxInFlight = config.stripe.maxInFlightPerProject;
    this.budgetMs = config.stripe.timeoutMs;
  }

  /**
   * The caller gets an answer within the budget, but the slot is held until the SDK request really ends (its own
   * timeout and retries bound that): a request abandoned at the deadline still holds a socket, so releasing its slot
   * then would let a slow project pile up requests beyond its cap.
   */
  run<T>(projectId: string, call: () => Promise<T>): Promise<T> {
    const inFlight = this.inFlightByProject.get(projectId) ?? 0;
    if (inFlight >= this.maxInFlight) return Promise.reject(new StripeBulkheadFullError(this.maxInFlight));
    this.inFlightByProject.set(projectId, inFlight + 1);
    let pending: Promise<T>;
    try {
      pending = call();
    } catch (error) {
      this.release(projectId);
      return Promise.reject(error);
    }
    const release = () => this.release(projectId);
    // Registered before the caller awaits: on success the slot is free before the HTTP answer is sent.
    pending.then(release, release);
    return withinBudget(this.budgetMs, () => pending);
  }

  /** Stripe calls of the project in flight right now (including ones whose caller was already answered). */
  inFlight(projectId: string): number {
    return this.inFlightByProject.get(projectId) ?? 0;
  }

  /** Projects with at least one call in flight: idle projects leave no entry behind. */
  get busyProjects(): number {
    return this.inFlightByProject.size;
  }

  private release(projectId: string): void {
    const inFlight = this.inFlightByProject.get(projectId) ?? 0;
    if (inFlight <= 1) this.inFlightByProject.delete(projectId);
    else this.inFlightByProject.set(projectId, inFlight - 1);
  }
}
