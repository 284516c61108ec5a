import { Inject, Injectable } from '@nestjs/common';
import { GatewayError } from '@mqgw/contracts';
import { LimiterUnavailableError, type RateLimit, type RateLimiter } from '@mqgw/rate-limit';
import type { GatewayRequest } from '../../request/gateway-request';
import { RATE_LIMITER } from '../../state/state.tokens';
import { PIPELINE_CONFIG, type PipelineConfig } from '../pipeline.config';
import { PipelineGuard } from '../pipeline-step';

/**
 * `rateLimit`, after `auth` because it counts per principal: one bucket per principal, or
 * the route's own when it overrides the limit. On routes that allow anonymous callers (the
 * `gateway/*` group, with the gateway limit) a caller with credentials has a bucket of its
 * own, and anonymous callers share one: MQTT does not tell a subscriber who published, so
 * they cannot be told apart, but they cannot starve those who sign their requests.
 */
@Injectable()
export class RateLimitGuard extends PipelineGuard {
  readonly step = 'rateLimit' as const;

  constructor(
    @Inject(RATE_LIMITER) private readonly limiter: RateLimiter,
    @Inject(PIPELINE_CONFIG) private readonly config: PipelineConfig,
  ) {
    super();
  }

  protected async check(req: GatewayRequest): Promise<boolean> {
    const { route } = req;
    let bucket: string;
    let limit: RateLimit;
    if (route.rateLimit) {
      bucket = `${req.principal.id}|${route.template}`;
      limit = { limit: route.rateLimit.max, windowMs: route.rateLimit.windowSeconds * 1000 };
    } else if (route.allowAnonymous || req.principal.kind === 'anonymous') {
      bucket = `${req.principal.id}|${route.template.split('/')[0]}`;
      limit = this.config.gatewayRateLimit;
    } else {
      bucket = req.principal.id;
      limit = this.config.rateLimit;
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
      throw new GatewayError('RATE_LIMITED', 'rate limit exceeded', {
        retryAfter: Math.max(1, Math.ceil(decision.retryAfterMs / 1000)),
      });
    }
    return true;
  }
}
