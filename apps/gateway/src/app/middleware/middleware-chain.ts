import { UseFilters, UseGuards, UseInterceptors, applyDecorators } from '@nestjs/common';
import { AuthGuard } from './auth.guard';
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
 *                   principal is known.
 * Filter: RpcErrorFilter turns anything thrown into the error envelope.
 */
export function GatewayMiddleware(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    UseGuards(OriginGuard, AuthGuard, RateLimitGuard),
    UseInterceptors(TransformInterceptor, IdempotencyInterceptor),
    UseFilters(RpcErrorFilter),
  );
}

export const MIDDLEWARE_PROVIDERS = [
  OriginGuard,
  AuthGuard,
  RateLimitGuard,
  TransformInterceptor,
  IdempotencyInterceptor,
  RpcErrorFilter,
];
