import type { RateDecision, RateLimit, RateLimiter } from './rate-limiter';

/**
 * The same sliding-window log in this process's memory: for the embedded mode and as the
 * per-instance fallback while Redis is away. Buckets idle for a full window are dropped.
 */
export class InMemorySlidingWindowLimiter implements RateLimiter {
  private readonly buckets = new Map<string, { times: number[]; windowMs: number }>();
  private lastSweep = 0;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxBuckets = 100_000,
  ) {}

  async consume(bucket: string, limit: RateLimit): Promise<RateDecision> {
    const now = this.now();
    this.sweep(now);
    let entry = this.buckets.get(bucket);
    if (!entry) {
      if (this.buckets.size >= this.maxBuckets)
        this.buckets.delete(this.buckets.keys().next().value as string);
      this.buckets.set(bucket, (entry = { times: [], windowMs: limit.windowMs }));
    }
    entry.windowMs = limit.windowMs;
    const cutoff = now - limit.windowMs;
    let drop = 0;
    while (drop < entry.times.length && entry.times[drop] <= cutoff) drop++;
    if (drop > 0) entry.times.splice(0, drop);
    if (entry.times.length < limit.limit) {
      entry.times.push(now);
      return { allowed: true, remaining: limit.limit - entry.times.length, retryAfterMs: 0 };
    }
    return {
      allowed: false,
      remaining: 0,
      retryAfterMs: Math.max(1, entry.times[0] + limit.windowMs - now),
    };
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < 10_000) return;
    this.lastSweep = now;
    for (const [key, entry] of this.buckets) {
      const last = entry.times[entry.times.length - 1];
      if (last === undefined || last <= now - entry.windowMs) this.buckets.delete(key);
    }
  }
}
