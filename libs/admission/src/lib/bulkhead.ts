import type { ConcurrencyLimit } from './concurrency-limit';

interface Waiter {
  admit: (admitted: boolean) => void;
  timer: NodeJS.Timeout;
}

/**
 * The slots for calls to one service (a bulkhead): at most `limit.current` at once, so that
 * one slow or overloaded service can hold no more than its share of the gateway. A call that
 * finds every slot taken may wait a little, in order, for one to free up (a short queue of
 * at most twice the limit), so that a limit that has just come down delays calls rather than
 * refusing them; past its wait, or with the queue full, it is refused. Each call that ends
 * tells the limit how long it took.
 */
export class Bulkhead {
  private inflight = 0;
  private readonly waiting: Waiter[] = [];

  constructor(private readonly limit: ConcurrencyLimit) {}

  get inFlight(): number {
    return this.inflight;
  }

  get queued(): number {
    return this.waiting.length;
  }

  get current(): number {
    return this.limit.current;
  }

  /** Takes a slot at once; false when every slot is taken (or others wait for one). */
  tryAcquire(): boolean {
    if (this.inflight >= this.limit.current || this.waiting.length > 0) return false;
    this.inflight++;
    return true;
  }

  /** Takes a slot, waiting up to `maxWaitMs` for one; resolves false if none came. */
  acquire(maxWaitMs: number): Promise<boolean> {
    if (this.tryAcquire()) return Promise.resolve(true);
    if (maxWaitMs <= 0 || this.waiting.length >= 2 * this.limit.current) {
      return Promise.resolve(false);
    }
    return new Promise((resolve) => {
      const waiter: Waiter = {
        admit: resolve,
        timer: setTimeout(() => {
          const at = this.waiting.indexOf(waiter);
          if (at >= 0) this.waiting.splice(at, 1);
          resolve(false);
        }, maxWaitMs),
      };
      this.waiting.push(waiter);
    });
  }

  /**
   * Gives a slot back, to the first call waiting if any. `rttMs` is how long the call took,
   * or undefined when it proved nothing about the service's speed (it never reached it).
   */
  release(rttMs: number | undefined, now: number): void {
    if (rttMs !== undefined) this.limit.sample(rttMs, this.inflight, now);
    this.inflight--;
    while (this.waiting.length > 0 && this.inflight < this.limit.current) {
      const next = this.waiting.shift()!;
      clearTimeout(next.timer);
      this.inflight++;
      next.admit(true);
    }
  }
}
