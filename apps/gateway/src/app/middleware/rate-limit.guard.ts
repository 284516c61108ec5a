import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { GatewayError } from '@mqgw/contracts';
import { LimiterUnavailableError, type RateLimit, type RateLimiter } from '@mqgw/rate-limit';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';
import { RATE_LIMITER } from '../tokens';
import type { GatewayRequest } from '../transport/gateway-request';

/**
 * The `rateLimit` step. Authenticated routes count per principal (one bucket, or the
 * route's own when it overrides the limit). Routes without auth (the `gateway/*` group)
 * share one global bucket: MQTT does not tell a subscriber who published.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly defaultLimit: RateLimit;
  private readonly anonymousLimit: RateLimit;

  constructor(
    @Inject(RATE_LIMITER) private readonly limiter: RateLimiter,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    this.defaultLimit = {
      limit: config.RATE_LIMIT_MAX,
      windowMs: config.RATE_LIMIT_WINDOW_SECONDS * 1000,
    };
    this.anonymousLimit = {
      limit: config.GATEWAY_RATE_LIMIT_MAX,
      windowMs: config.GATEWAY_RATE_LIMIT_WINDOW_SECONDS * 1000,
    };
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToRpc().getContext<GatewayRequest>();
    const { route } = req;
    if (!route.middleware.has('rateLimit')) return true;
    let bucket: string;
    let limit: RateLimit;
    if (route.rateLimit) {
      bucket = `${req.principal.id}|${route.template}`;
      limit = { limit: route.rateLimit.max, windowMs: route.rateLimit.windowSeconds * 1000 };
    } else if (req.principal.kind === 'anonymous') {
      bucket = `anonymous|${route.template.split('/')[0]}`;
      limit = this.anonymousLimit;
    } else {
      bucket = req.principal.id;
      limit = this.defaultLimit;
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
