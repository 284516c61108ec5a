/**
 * Caps retries at a share of recent requests (over a sliding 10 s window, per gateway
 * instance), so retries cannot multiply the load on a struggling service. A small floor
 * lets a quiet gateway still retry. Counts live in ten one-second buckets: constant memory
 * however many requests pass.
 */
export class RetryBudget {
  private readonly buckets = 10;
  private readonly requests = new Array<number>(this.buckets).fill(0);
  private readonly retries = new Array<number>(this.buckets).fill(0);
  private current = 0;

  constructor(
    private readonly ratio: number,
    private readonly windowMs = 10_000,
    private readonly minPerWindow = 3,
    private readonly now: () => number = Date.now,
  ) {}

  recordRequest(): void {
    this.requests[this.advance()]++;
  }

  /** Takes one retry from the budget if there is one. */
  tryAcquire(): boolean {
    const slot = this.advance();
    const requests = this.requests.reduce((a, b) => a + b, 0);
    const retries = this.retries.reduce((a, b) => a + b, 0);
    const allowed = Math.max(this.minPerWindow, Math.floor(requests * this.ratio));
    if (this.ratio <= 0 || retries >= allowed) return false;
    this.retries[slot]++;
    return true;
  }

  /** Moves to the bucket for now, clearing the buckets that have left the window. */
  private advance(): number {
    const tick = Math.floor(this.now() / (this.windowMs / this.buckets));
    const elapsed = Math.min(tick - this.current, this.buckets);
    for (let i = 1; i <= elapsed; i++) {
      const slot = (this.current + i) % this.buckets;
      this.requests[slot] = 0;
      this.retries[slot] = 0;
    }
    if (elapsed > 0) this.current = tick;
    return tick % this.buckets;
  }
}
