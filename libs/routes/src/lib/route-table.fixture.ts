import type { RouteDefinition, RouteGroup } from './route.types';

/*
 * The route table as it was compiled into the gateway before routes became a file: the
 * spec checks that config/routes.yaml, the default file, compiles to exactly this. The v2
 * routes rewrote their bodies with `v2Payload`; the file does it declaratively.
 */

const v1: RouteGroup = {
  prefix: 'api/v1',
  steps: ['origin', 'auth', 'rateLimit', 'forwardHeaders', 'idempotency', 'fallback', 'breaker'],
};
const v2: RouteGroup = {
  prefix: 'api/v2',
  steps: ['origin', 'auth', 'rateLimit', 'idempotency', 'fallback'],
};
const gateway: RouteGroup = {
  prefix: 'gateway',
  steps: ['auth', 'rateLimit'],
  allowAnonymous: true,
};

/** API v2 payloads carry their version and action, and `user_data` is now `user`. */
export function v2Payload(body: Record<string, unknown>, params: Record<string, string>) {
  const { user_data, ...rest } = body;
  const out: Record<string, unknown> = { ...rest, api_version: 'v2', action: params['action'] };
  if (user_data !== undefined && out['user'] === undefined) out['user'] = user_data;
  return out;
}

export const LEGACY_ROUTES: readonly RouteDefinition[] = [
  // user-service
  {
    group: v1,
    topic: 'users/create',
    qos: 2,
    handler: 'proxy',
    service: 'user-service',
    method: 'POST',
    upstreamPath: '/users',
  },
  {
    group: v1,
    topic: 'users/get/{user_id}',
    qos: 1,
    handler: 'proxy',
    service: 'user-service',
    method: 'GET',
    upstreamPath: '/users/{user_id}',
  },
  {
    group: v1,
    topic: 'users/update/{user_id}',
    qos: 2,
    handler: 'proxy',
    service: 'user-service',
    method: 'PUT',
    upstreamPath: '/users/{user_id}',
  },
  {
    group: v1,
    topic: 'users/delete/{user_id}',
    qos: 2,
    handler: 'proxy',
    service: 'user-service',
    method: 'DELETE',
    upstreamPath: '/users/{user_id}',
    scopes: ['admin'],
  },
  {
    group: v1,
    topic: 'users/list',
    qos: 1,
    handler: 'proxy',
    service: 'user-service',
    method: 'GET',
    upstreamPath: '/users',
  },
  // order-service
  {
    group: v1,
    topic: 'orders/create',
    qos: 2,
    handler: 'proxy',
    service: 'order-service',
    method: 'POST',
    upstreamPath: '/orders',
  },
  {
    group: v1,
    topic: 'orders/get/{order_id}',
    qos: 1,
    handler: 'proxy',
    service: 'order-service',
    method: 'GET',
    upstreamPath: '/orders/{order_id}',
  },
  {
    group: v1,
    topic: 'orders/update/{order_id}',
    qos: 2,
    handler: 'proxy',
    service: 'order-service',
    method: 'PUT',
    upstreamPath: '/orders/{order_id}',
  },
  {
    group: v1,
    topic: 'orders/cancel/{order_id}',
    qos: 2,
    handler: 'proxy',
    service: 'order-service',
    method: 'POST',
    upstreamPath: '/orders/{order_id}/cancel',
  },
  {
    group: v1,
    topic: 'orders/list/{user_id}',
    qos: 1,
    handler: 'proxy',
    service: 'order-service',
    method: 'GET',
    upstreamPath: '/users/{user_id}/orders',
  },
  // payment-service
  {
    group: v1,
    topic: 'payments/process',
    qos: 2,
    handler: 'proxy',
    service: 'payment-service',
    method: 'POST',
    upstreamPath: '/payments',
  },
  {
    group: v1,
    topic: 'payments/refund/{payment_id}',
    qos: 2,
    handler: 'proxy',
    service: 'payment-service',
    method: 'POST',
    upstreamPath: '/payments/{payment_id}/refund',
    scopes: ['payments:refund'],
  },
  {
    group: v1,
    topic: 'payments/status/{payment_id}',
    qos: 1,
    handler: 'proxy',
    service: 'payment-service',
    method: 'GET',
    upstreamPath: '/payments/{payment_id}',
  },
  // notification-service
  {
    group: v1,
    topic: 'notifications/send',
    qos: 1,
    handler: 'proxy',
    service: 'notification-service',
    method: 'POST',
    upstreamPath: '/notifications',
  },
  {
    group: v1,
    topic: 'notifications/templates/{template_id}',
    qos: 1,
    handler: 'proxy',
    service: 'notification-service',
    method: 'GET',
    upstreamPath: '/notifications/templates/{template_id}',
  },
  // API v2
  {
    group: v2,
    topic: 'users/{action}',
    qos: 1,
    handler: 'proxy',
    service: 'user-service-v2',
    method: 'POST',
    upstreamPath: '/v2/users/{action}',
  },
  {
    group: v2,
    topic: 'orders/{action}',
    qos: 1,
    handler: 'proxy',
    service: 'order-service-v2',
    method: 'POST',
    upstreamPath: '/v2/orders/{action}',
  },
  // the gateway itself
  { group: gateway, topic: 'health', qos: 0, handler: 'health' },
  { group: gateway, topic: 'services', qos: 1, handler: 'services' },
  { group: gateway, topic: 'metrics', qos: 1, handler: 'metrics' },
];
