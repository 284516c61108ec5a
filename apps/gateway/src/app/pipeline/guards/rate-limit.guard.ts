import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { GatewayError } from '@mqgw/contracts';
import { LimiterUnavailableError, type RateLimit, type RateLimiter } from '@mqgw/rate-limit';
import type { GatewayRequest } from '../../request/gateway-request';
import { RATE_LIMITER } from '../../state/state.tokens';
import { PIPELINE_CONFIG, type PipelineConfig } from '../pipeline.config';
import { requestOf } from '../pipeline-step';

/** Buckets remembered as spent; past this many the memory starts over. */
const MAX_SPENT = 10_000;

/**
 * `rateLimit`, after `auth` because it counts per principal: one bucket per principal, or
 * the route's own when it overrides the limit. On routes that allow anonymous callers (the
 * `gateway/*` group, with the gateway limit) a caller with credentials has a bucket of its
 * own, and anonymous callers share one: MQTT does not tell a subscriber who published, so
 * they cannot be told apart, but they cannot starve those who sign their requests.
 *
 * A bucket found spent is remembered until the limiter said a slot frees up, and refused
 * here without asking Redis again: a caller that ignores `retry_after` costs no round
 * trips, and no slot of the gateway, and nothing that Redis would have let through is
 * refused (no other instance can free a slot sooner).
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  /** Bucket → `Date.now()` until which it is spent. */
  private readonly spent = new Map<string, number>();

  constructor(
    @Inject(RATE_LIMITER) private readonly limiter: RateLimiter,
    @Inject(PIPELINE_CONFIG) private readonly config: PipelineConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = requestOf(context);
    const [bucket, limit] = this.bucketOf(req);
    const now = Date.now();
    const until = this.spent.get(bucket);
    if (until !== undefined) {
      if (now < until) throw limited(until - now);
      this.spent.delete(bucket);
    }
    let decision;
    try {
      decision = await this.limiter.consume(bucket, limit);
    } catch (error) {
      if (error instanceof LimiterUnavailableError) {
        throw new GatewayError('SERVICE_UNAVAILABLE', 'rate limiter unavailable', {
          retryAfter: 5,
        });
      }
      throw error;
    }
    if (!decision.allowed) {
      if (this.spent.size >= MAX_SPENT) this.spent.clear();
      this.spent.set(bucket, Date.now() + decision.retryAfterMs);
      throw limited(decision.retryAfterMs);
    }
    return true;
  }

  private bucketOf(req: GatewayRequest): [string, RateLimit] {
    const { route, principal } = req;
    if (route.rateLimit) {
      return [
        `${principal.id}|${route.template}`,
        { limit: route.rateLimit.max, windowMs: route.rateLimit.windowSeconds * 1000 },
      ];
    }
    if (route.allowAnonymous || principal.kind === 'anonymous') {
      return [`${principal.id}|${route.namespace}`, this.config.gatewayRateLimit];
    }
    return [principal.id, this.config.rateLimit];
  }
}

function limited(retryAfterMs: number): GatewayError {
  return new GatewayError('RATE_LIMITED', 'rate limit exceeded', {
    retryAfter: Math.max(1, Math.ceil(retryAfterMs / 1000)),
  });
}
