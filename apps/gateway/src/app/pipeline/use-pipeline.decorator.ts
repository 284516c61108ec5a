import { UseFilters, UseGuards, UseInterceptors, applyDecorators } from '@nestjs/common';
import { AuthGuard } from './guards/auth.guard';
import { OriginGuard } from './guards/origin.guard';
import { RateLimitGuard } from './guards/rate-limit.guard';
import { ValidationGuard } from './guards/validation.guard';
import { BreakerInterceptor } from './interceptors/breaker.interceptor';
import { FallbackInterceptor } from './interceptors/fallback.interceptor';
import { ForwardHeadersInterceptor } from './interceptors/forward-headers.interceptor';
import { IdempotencyInterceptor } from './interceptors/idempotency.interceptor';
import { RpcErrorFilter } from './rpc-error.filter';

/**
 * The pipeline, in the order a request meets it. Each step runs only on routes whose table
 * entry names it (`middleware`); the route table shows, per route, which do.
 *
 * Guards:
 *   origin          a browser's `origin` must be allowed (no I/O, so first)
 *   auth            verifies the JWT or API key, sets the principal, checks scopes
 *   validate        the body must match the route's request schema (no I/O, so before
 *                   rateLimit; after auth, so the refusal goes to an authenticated caller)
 *   rateLimit       counts the request in the principal's bucket (needs the principal)
 * Interceptors, outermost first:
 *   forwardHeaders  passes the client's safe `x-*` headers to the service
 *   idempotency     runs a keyed request once per (principal, key); a duplicate stops here
 *   fallback        when the service is unavailable, answers from the stale cache or
 *                   `<service>-fallback`; outside the breaker, so an open circuit falls back
 *   breaker         refuses at once while the service's circuit is open; counts outcomes
 * Then the handler (the upstream call, or the gateway's own answer). Anything thrown
 * becomes the error envelope (`RpcErrorFilter`, `toErrorReply`).
 */
export const PIPELINE_GUARDS = [OriginGuard, AuthGuard, ValidationGuard, RateLimitGuard] as const;
export const PIPELINE_INTERCEPTORS = [
  ForwardHeadersInterceptor,
  IdempotencyInterceptor,
  FallbackInterceptor,
  BreakerInterceptor,
] as const;

/** Puts a controller's message handlers behind the pipeline, for Nest and for the runner. */
export function UsePipeline(): ClassDecorator & MethodDecorator {
  return applyDecorators(
    UseGuards(...PIPELINE_GUARDS),
    UseInterceptors(...PIPELINE_INTERCEPTORS),
    UseFilters(RpcErrorFilter),
  );
}
