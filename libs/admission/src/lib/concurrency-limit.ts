/**
 * How many calls may be in flight at once. An adaptive limit learns it from how long calls
 * take; a fixed one is a number. Both pass `concurrency-limit.contract.ts`.
 */
export interface ConcurrencyLimit {
  /** The current limit, a whole number of at least 1. */
  readonly current: number;
  /**
   * One finished call: how long it took, and how many calls were in flight when it
   * finished (itself included). `now` is a monotonic clock in milliseconds.
   */
  sample(rttMs: number, inflight: number, now: number): void;
}

/** A limit that never changes. */
export class FixedLimit implements ConcurrencyLimit {
  constructor(readonly current: number) {
    if (!Number.isInteger(current) || current < 1) throw new Error('a limit is a whole number ≥ 1');
  }

  sample(): void {
    // Nothing to learn.
  }
}
