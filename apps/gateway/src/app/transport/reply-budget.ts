/** Reply topics remembered at once; past this many the memory starts over. */
const MAX_TOPICS = 10_000;

/**
 * How many answers per second one reply topic may get while the caller is not known: a
 * token bucket per topic (`perSecond`, bursts of twice that), in this process. It bounds
 * what anyone can make the gateway publish into a reply topic they name without proving
 * who they are. No I/O, bounded memory.
 */
export class ReplyBudget {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly perSecond: number) {}

  /** Takes one answer from `topic`'s budget; false when it has none left. */
  take(topic: string, now = performance.now()): boolean {
    const burst = this.perSecond * 2;
    let bucket = this.buckets.get(topic);
    if (!bucket) {
      if (this.buckets.size >= MAX_TOPICS) this.buckets.clear();
      bucket = { tokens: burst, at: now };
      this.buckets.set(topic, bucket);
    } else {
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
      bucket.at = now;
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
