/**
 * Caps retries at a share of recent requests (over a sliding 10 s window, per gateway
 * instance), so retries cannot multiply the load on a struggling service. A small floor
 * lets a quiet gateway still retry.
 */
export class RetryBudget {
  private readonly requests: number[] = [];
  private readonly retries: number[] = [];

  constructor(
    private readonly ratio: number,
    private readonly windowMs = 10_000,
    private readonly minPerWindow = 3,
    private readonly now: () => number = Date.now,
  ) {}

  recordRequest(): void {
    this.requests.push(this.now());
  }

  /** Takes one retry from the budget if there is one. */
  tryAcquire(): boolean {
    const now = this.now();
    trim(this.requests, now - this.windowMs);
    trim(this.retries, now - this.windowMs);
    const allowed = Math.max(this.minPerWindow, Math.floor(this.requests.length * this.ratio));
    if (this.ratio <= 0 || this.retries.length >= allowed) return false;
    this.retries.push(now);
    return true;
  }
}

function trim(times: number[], cutoff: number): void {
  let drop = 0;
  while (drop < times.length && times[drop] <= cutoff) drop++;
  if (drop > 0) times.splice(0, drop);
}
