import { InMemorySlidingWindowLimiter } from './in-memory-sliding-window.limiter';
import {
  LimiterUnavailableError,
  type RateDecision,
  type RateLimit,
  type RateLimiter,
} from './rate-limiter';

export type FailMode = 'open' | 'closed';

/**
 * Uses the shared limiter, and decides what happens when it fails: `open` counts the
 * request in a local limiter instead (each instance then limits on its own), `closed`
 * throws `LimiterUnavailableError` so the caller answers 503.
 */
export class FailoverLimiter implements RateLimiter {
  constructor(
    private readonly primary: RateLimiter,
    private readonly mode: FailMode,
    private readonly onFallback: (error: unknown) => void = () => undefined,
    private readonly local: RateLimiter = new InMemorySlidingWindowLimiter(),
  ) {}

  async consume(bucket: string, limit: RateLimit): Promise<RateDecision> {
    try {
      return await this.primary.consume(bucket, limit);
    } catch (error) {
      this.onFallback(error);
      if (this.mode === 'closed') throw new LimiterUnavailableError(error);
      return this.local.consume(bucket, limit);
    }
  }
}
