import { GatewayError } from '@mqgw/contracts';
import { compileRoutes, formatRouteTable, RouteTableError } from './route-compiler';
import { RouteMatcher, upstreamPath } from './route-matcher';
import { LEGACY_ROUTES as ROUTES, v2Payload } from './route-table.fixture';
import type { RouteDefinition, RouteGroup } from './route.types';

const group: RouteGroup = { prefix: 'api/v1', steps: ['auth'] };

describe('the route table', () => {
  const routes = compileRoutes(ROUTES);
  const matcher = new RouteMatcher(routes);

  it('holds the RouteMQ guide routes with their QoS', () => {
    const byTemplate = Object.fromEntries(routes.map((r) => [r.template, r.qos]));
    expect(byTemplate).toMatchObject({
      'api/v1/users/create': 2,
      'api/v1/users/get/{user_id}': 1,
      'api/v1/orders/cancel/{order_id}': 2,
      'api/v1/payments/status/{payment_id}': 1,
      'api/v1/notifications/send': 1,
      'api/v2/users/{action}': 1,
      'gateway/health': 0,
      'gateway/metrics': 1,
    });
    expect(routes).toHaveLength(20);
  });

  it('derives MQTT filters from templates', () => {
    expect(routes.map((r) => r.filter)).toContain('api/v1/users/get/+');
    expect(routes.map((r) => r.filter)).toContain('api/v2/orders/+');
  });

  it('matches topics and binds parameters', () => {
    const m = matcher.match('api/v1/orders/list/u-1');
    expect(m?.route.template).toBe('api/v1/orders/list/{user_id}');
    expect(m?.params).toEqual({ user_id: 'u-1' });
    expect(matcher.match('api/v1/users/get')).toBeUndefined();
    expect(matcher.match('api/v1/users/get/1/2')).toBeUndefined();
    expect(matcher.match('api/v9/users/list')).toBeUndefined();
  });

  it.each(['', '.', '..', 'a\u0000b', 'line\nbreak', 'x'.repeat(257)])(
    'rejects the parameter %p with BAD_REQUEST',
    (value) => {
      expect(() => matcher.match(`api/v1/users/get/${value}`)).toThrow(GatewayError);
    },
  );

  it('keeps every parameter inside one upstream path segment', () => {
    expect(upstreamPath('/users/{id}', { id: '../admin' })).toBe('/users/..%2Fadmin');
    expect(upstreamPath('/users/{id}', { id: 'a%2Fb?x=1#f' })).toBe('/users/a%252Fb%3Fx%3D1%23f');
    expect(upstreamPath('/users/{id}/orders', { id: 'ü' })).toBe('/users/%C3%BC/orders');
  });

  it('prints a readable table', () => {
    const text = formatRouteTable(routes);
    expect(text.split('\n')).toHaveLength(21);
    expect(text).toContain('api/v1/users/delete/{user_id}');
    expect(text).toContain('user-service DELETE /users/{user_id}');
  });
});

describe('v2Payload', () => {
  it('sets api_version and action and renames user_data', () => {
    expect(v2Payload({ user_data: { name: 'A' }, x: 1 }, { action: 'create' })).toEqual({
      x: 1,
      user: { name: 'A' },
      api_version: 'v2',
      action: 'create',
    });
  });
});

describe('compileRoutes validation', () => {
  const base: RouteDefinition = {
    group,
    topic: 'a/{id}',
    qos: 1,
    handler: 'proxy',
    service: 's',
    method: 'GET',
    upstreamPath: '/a/{id}',
  };
  it.each<[string, Partial<RouteDefinition>, string]>([
    ['wildcard level', { topic: 'a/+' }, 'may not contain #, + or $'],
    [
      'a parameter as group prefix',
      { group: { prefix: '{tenant}', steps: [] } },
      'the first level (the group prefix) must be a literal',
    ],
    ['unknown upstream param', { upstreamPath: '/a/{nope}' }, 'unknown {nope}'],
    ['missing service', { service: undefined }, 'needs a service'],
    ['bad qos', { qos: 3 as never }, 'qos 3'],
    ['unknown step', { steps: ['magic' as never] }, 'unknown step'],
    ['relative path', { upstreamPath: 'a' }, 'starting with /'],
  ])('rejects a %s', (_, change, message) => {
    expect(() => compileRoutes([{ ...base, ...change }])).toThrow(RouteTableError);
    expect(() => compileRoutes([{ ...base, ...change }])).toThrow(message);
  });

  it('rejects two routes on one filter, and a /reply loop', () => {
    expect(() =>
      compileRoutes([base, { ...base, topic: 'a/{other}', upstreamPath: '/a' }]),
    ).toThrow('same topic filter');
    expect(() =>
      compileRoutes([
        { ...base, topic: 'a', upstreamPath: '/a' },
        { ...base, topic: 'a/{id}' },
      ]),
    ).toThrow('/reply topic matches');
  });
});
