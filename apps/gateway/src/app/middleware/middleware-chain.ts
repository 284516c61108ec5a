import { UseFilters, UseGuards, UseInterceptors, applyDecorators } from '@nestjs/common';
import { AuthGuard } from './auth.guard';
import { BreakerInterceptor } from './breaker.interceptor';
import { FallbackInterceptor } from './fallback.interceptor';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { OriginGuard } from './origin.guard';
import { RateLimitGuard } from './rate-limit.guard';
import { RpcErrorFilter } from './rpc-error.filter';
import { TransformInterceptor } from './transform.interceptor';

/**
 * The middleware chain, in the order a request meets it. Each step reads the route's
 * `middleware` set and does nothing when its name is absent.
 *
 * Guards, in order:
 *   1. origin:    a browser's `origin` must be allowed (cheap, no I/O, so it goes first).
 *   2. auth:      verifies the JWT or API key and sets the principal; checks scopes.
 *   3. rateLimit: counts the request against the principal's bucket (needs the principal).
 *
 * Interceptors, outermost first:
 *   1. transform:   forwards the client's safe `x-*` headers upstream.
 *   2. idempotency: runs a keyed request once per (principal, key), after auth so the
 *                   principal is known; a duplicate never reaches the steps below.
 *   3. fallback:    when the service is unavailable, answers from the stale cache or
 *                   `<service>-fallback`; outside the breaker so an open circuit falls back too.
 *   4. breaker:     refuses at once while the service's circuit is open; counts outcomes.
 * Filter: RpcErrorFilter turns anything thrown into the error envelope.
 */
export function GatewayMiddleware(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    UseGuards(OriginGuard, AuthGuard, RateLimitGuard),
    UseInterceptors(
      TransformInterceptor,
      IdempotencyInterceptor,
      FallbackInterceptor,
      BreakerInterceptor,
    ),
    UseFilters(RpcErrorFilter),
  );
}

export const MIDDLEWARE_PROVIDERS = [
  OriginGuard,
  AuthGuard,
  RateLimitGuard,
  TransformInterceptor,
  IdempotencyInterceptor,
  FallbackInterceptor,
  BreakerInterceptor,
  RpcErrorFilter,
];
