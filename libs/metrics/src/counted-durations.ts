import { Counter, Histogram, type Registry } from 'prom-client';

interface BoundSeries {
  count: { inc(): void };
  duration: { observe(seconds: number): void };
}

/**
 * A `_total` counter and a duration histogram over the same labels, observed together. Each label combination's
 * children are bound once and reused, so an observation does not look labels up by name.
 */
export class CountedDurations<Label extends string> {
  private readonly counter: Counter<Label>;
  private readonly histogram: Histogram<Label>;
  private readonly bound = new Map<string, BoundSeries>();

  constructor(
    registry: Registry,
    options: {
      labelNames: readonly Label[];
      counter: { name: string; help: string };
      histogram: { name: string; help: string; buckets: number[] };
    },
  ) {
    const { labelNames } = options;
    this.counter = new Counter({ ...options.counter, labelNames, registers: [registry] });
    this.histogram = new Histogram({ ...options.histogram, labelNames, registers: [registry] });
  }

  /** One event with these label values, in `labelNames` order, that took `seconds`. */
  observe(labelValues: readonly string[], seconds: number): void {
    const key = labelValues.join('\u0000');
    let series = this.bound.get(key);
    if (!series) {
      series = { count: this.counter.labels(...labelValues), duration: this.histogram.labels(...labelValues) };
      this.bound.set(key, series);
    }
    series.count.inc();
    series.duration.observe(seconds);
  }
}
