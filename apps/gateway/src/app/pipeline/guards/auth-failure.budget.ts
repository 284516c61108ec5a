import { Inject, Injectable } from '@nestjs/common';
import type { RateLimiter } from '@mqgw/rate-limit';
import { RATE_LIMITER } from '../../state/state.tokens';
import { PIPELINE_CONFIG, type PipelineConfig } from '../pipeline.config';

/**
 * How many failed authentications the deployment takes per window
 * (`AUTH_FAILURE_LIMIT` per `AUTH_FAILURE_WINDOW_SECONDS`, counted across instances). Once
 * it is spent, further failures are answered RATE_LIMITED, and credentials that would need
 * a store lookup (an API key not in the cache) are refused without one, until the window
 * frees up: a flood of made-up credentials costs a bounded amount. Verified tokens and
 * cached keys never meet it.
 */
@Injectable()
export class AuthFailureBudget {
  private blockedUntil = 0;

  constructor(
    @Inject(RATE_LIMITER) private readonly limiter: RateLimiter,
    @Inject(PIPELINE_CONFIG) private readonly config: PipelineConfig,
  ) {}

  private now(): number {
    return Date.now();
  }

  /** False while the budget is spent; no I/O. */
  get open(): boolean {
    return this.now() >= this.blockedUntil;
  }

  /** Seconds until the budget is open again, at least 1. */
  get retryAfterSeconds(): number {
    return Math.max(1, Math.ceil((this.blockedUntil - this.now()) / 1000));
  }

  /**
   * Counts one failure. Resolves with the seconds to wait when the budget is spent, or
   * undefined. A limiter that cannot answer spends nothing: the failure stays UNAUTHORIZED.
   */
  async spend(): Promise<number | undefined> {
    if (!this.open) return this.retryAfterSeconds;
    try {
      const decision = await this.limiter.consume('auth-failures', this.config.authFailures);
      if (decision.allowed) return undefined;
      this.blockedUntil = this.now() + decision.retryAfterMs;
      return this.retryAfterSeconds;
    } catch {
      return undefined;
    }
  }
}
