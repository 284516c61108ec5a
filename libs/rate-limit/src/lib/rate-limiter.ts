export interface RateLimit {
  /** Requests allowed per window. */
  limit: number;
  windowMs: number;
}

export interface RateDecision {
  allowed: boolean;
  remaining: number;
  /** When refused: ms until the oldest counted request leaves the window. */
  retryAfterMs: number;
}

/** Counts one request against `bucket`, atomically, and says whether it may pass. */
export interface RateLimiter {
  consume(bucket: string, limit: RateLimit): Promise<RateDecision>;
}

export class LimiterUnavailableError extends Error {
  constructor(cause: unknown) {
    super('rate limiter store unavailable', { cause });
    this.name = 'LimiterUnavailableError';
  }
}
