/** Keys remembered at once; past this many the memory starts over. */
const MAX_KEYS = 10_000;

/**
 * How many answers per second one key may get: a token bucket per key (`perSecond`,
 * bursts of twice that), in this process. `ReplyPublisher` keeps two: per reply topic for
 * answers to callers not known, which bounds what anyone can make the gateway publish into
 * a topic they name without proving who they are; and per caller for refusals under load.
 * No I/O, bounded memory.
 */
export class ReplyBudget {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly perSecond: number) {}

  /** Takes one answer from `key`'s budget; false when it has none left. */
  take(key: string, now = performance.now()): boolean {
    const burst = this.perSecond * 2;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= MAX_KEYS) this.buckets.clear();
      bucket = { tokens: burst, at: now };
      this.buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
      bucket.at = now;
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
