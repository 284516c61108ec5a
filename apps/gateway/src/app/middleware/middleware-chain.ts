import { UseFilters, UseInterceptors, applyDecorators } from '@nestjs/common';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { RpcErrorFilter } from './rpc-error.filter';
import { TransformInterceptor } from './transform.interceptor';

/**
 * The middleware chain, in the order a request meets it. Each step reads the route's
 * `middleware` set and does nothing when its name is absent.
 *
 * Interceptors, outermost first:
 *   1. transform:   forwards the client's safe `x-*` headers upstream.
 *   2. idempotency: runs a keyed request once per (principal, key), after auth so the
 *                   principal is known.
 * Filter: RpcErrorFilter turns anything thrown into the error envelope.
 */
export function GatewayMiddleware(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    UseInterceptors(TransformInterceptor, IdempotencyInterceptor),
    UseFilters(RpcErrorFilter),
  );
}

export const MIDDLEWARE_PROVIDERS = [TransformInterceptor, IdempotencyInterceptor, RpcErrorFilter];
