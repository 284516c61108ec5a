import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileBodyRewrite } from './body-rewrite';
import { compileRoutes } from './route-compiler';
import { LEGACY_ROUTES, v2Payload } from './route-table.fixture';
import type { CompiledRoute } from './route.types';
import { defaultRoutesFile, loadRoutesFile, parseRoutesFile } from './routes-file';
import { routesJsonSchema } from './routes-file.schema';
import { STEP_NAMES } from './steps';

const ROOT = join(__dirname, '../../../..');

/** A compiled route as data, its body rewrite left out (compared by its effect). */
const shape = ({ transformBody: _t, body: _b, steps, ...rest }: CompiledRoute) => ({
  ...rest,
  steps: [...steps],
});

const inventory = `
services:
  inventory-service:
    instances: [http://10.0.0.5:8080]   # static; omit to use the Redis registry
groups:
  - prefix: api/v1
    steps: [auth, rateLimit]
    routes:
      - topic: inventory/get/{sku}
        qos: 1
        service: inventory-service
        method: GET
        path: /items/{sku}
`;

describe('the routes file', () => {
  it('ships a default that compiles to exactly the table compiled into earlier releases', () => {
    const table = loadRoutesFile(defaultRoutesFile());
    const legacy = compileRoutes(LEGACY_ROUTES);
    expect(table.routes).toHaveLength(20);
    expect(table.routes.map(shape)).toEqual(legacy.map(shape));
    // The v2 rewrite, declarative now, does what the function did.
    const bodies = [
      { user_data: { name: 'Ada' } },
      { user_data: { name: 'Ada' }, user: { name: 'Bob' } },
      { user: null, user_data: 1, api_version: 'v1', action: 'x', other: [1] },
      {},
    ];
    for (const route of table.routes.filter((r) => r.template.startsWith('api/v2/'))) {
      for (const body of bodies) {
        const params = { action: 'search' };
        expect(route.transformBody!(body, params)).toEqual(v2Payload(body, params));
      }
    }
    expect(table.routes.filter((r) => r.transformBody).map((r) => r.template)).toEqual([
      'api/v2/users/{action}',
      'api/v2/orders/{action}',
    ]);
    expect([...table.services.keys()]).toEqual([
      'user-service',
      'user-service-v2',
      'order-service',
      'order-service-v2',
      'payment-service',
      'notification-service',
    ]);
  });

  it('reads the shape the docs show, with a static instance', () => {
    const table = parseRoutesFile(inventory, 'my-routes.yaml');
    expect(table.routes.map((r) => [r.template, r.filter, r.method, r.upstreamPath])).toEqual([
      ['api/v1/inventory/get/{sku}', 'api/v1/inventory/get/+', 'GET', '/items/{sku}'],
    ]);
    expect(table.services.get('inventory-service')).toEqual({
      name: 'inventory-service',
      instances: ['http://10.0.0.5:8080'],
      balancer: undefined,
      breaker: undefined,
    });
    expect(table.routes[0]).toMatchObject({
      retries: 1,
      fallbackService: 'inventory-service-fallback',
      steps: new Set(['auth', 'admission', 'validate', 'rateLimit', 'concurrency']),
    });
    expect(table.digest).toMatch(/^[0-9a-f]{12}$/);
  });

  it('takes options per route and per group, and reads JSON too', () => {
    const json = JSON.stringify({
      services: {
        a: { balancer: 'least-outstanding', breaker: { failureThreshold: 2 } },
        'a-spare': null,
      },
      groups: [
        {
          prefix: 'api/x',
          steps: ['auth', 'fallback', 'breaker'],
          timeoutMs: 500,
          retries: 0,
          routes: [
            {
              topic: 'things/{id}',
              qos: 1,
              service: 'a',
              method: 'GET',
              path: '/things/{id}',
              cacheTtlSeconds: 0,
              fallback: 'a-spare',
              scopes: ['read'],
              rateLimit: { max: 5, windowSeconds: 1 },
            },
            {
              topic: 'things/{id}/touch',
              qos: 2,
              service: 'a',
              method: 'POST',
              path: '/things/{id}',
              retries: 1,
              body: { set: { id: '{id}', n: 1 }, remove: ['secret'] },
            },
          ],
        },
      ],
    });
    const table = parseRoutesFile(json, 'routes.json');
    expect(table.routes[0]).toMatchObject({
      timeoutMs: 500,
      retries: 0,
      cacheTtlSeconds: 0,
      fallbackService: 'a-spare',
      scopes: ['read'],
      rateLimit: { max: 5, windowSeconds: 1 },
    });
    expect(table.routes[1]).toMatchObject({ timeoutMs: 500, retries: 1 });
    expect(table.routes[1].transformBody!({ secret: 1, keep: 2 }, { id: '7' })).toEqual({
      keep: 2,
      id: '7',
      n: 1,
    });
    expect(table.services.get('a')).toMatchObject({
      balancer: 'least-outstanding',
      breaker: { failureThreshold: 2 },
    });
  });

  const broken = (routeLines: string, extra = '') => `services:
  inventory-service:
${extra}groups:
  - prefix: api/v1
    steps: [auth]
    routes:
      - topic: inventory/list
        qos: 1
        service: inventory-service
        method: GET
        path: /items
${routeLines}`;

  it.each([
    [
      'a bad method',
      broken(`      - topic: inventory/get/{sku}
        qos: 1
        service: inventory-service
        method: FETCH
        path: /items/{sku}
`),
      'routes.yaml:15 groups[0].routes[1].method: expected one of GET, POST, PUT, PATCH, DELETE, got "FETCH"',
    ],
    [
      'an unknown service',
      broken(`      - { topic: x, qos: 1, service: stock, method: GET, path: /x }
`),
      'routes.yaml:12 groups[0].routes[1].service: unknown service "stock": declare it under services',
    ],
    [
      'an unknown step',
      broken(`      - { topic: x, qos: 1, service: inventory-service, method: GET, path: /x, steps: [cache] }
`),
      `routes.yaml:12 groups[0].routes[1].steps[0]: expected one of ${STEP_NAMES.join(', ')}, got "cache"`,
    ],
    [
      'both steps and its old name',
      broken(`      - { topic: x, qos: 1, service: inventory-service, method: GET, path: /x, steps: [auth], middleware: [auth] }
`),
      'routes.yaml:12 groups[0].routes[1].middleware: is the old name of steps: give steps alone',
    ],
    [
      'a path parameter the topic lacks',
      broken(`      - { topic: inventory/get, qos: 1, service: inventory-service, method: GET, path: '/items/{sku}' }
`),
      'routes.yaml:12 groups[0].routes[1]: api/v1/inventory/get: upstream path uses unknown {sku}',
    ],
    [
      'a duplicate topic',
      broken(`      - { topic: inventory/list, qos: 1, service: inventory-service, method: GET, path: /x }
`),
      'routes.yaml:12 groups[0].routes[1]: api/v1/inventory/list: has the same topic filter as api/v1/inventory/list',
    ],
    [
      'an overlapping topic',
      broken(`      - { topic: '{what}/list', qos: 1, service: inventory-service, method: GET, path: /x }
`),
      'routes.yaml:12 groups[0].routes[1]: api/v1/{what}/list: overlaps api/v1/inventory/list: both match api/v1/inventory/list',
    ],
    [
      'a wildcard topic',
      broken(`      - { topic: 'inventory/#', qos: 1, service: inventory-service, method: GET, path: /x }
`),
      'routes.yaml:12 groups[0].routes[1]: api/v1/inventory/#: a topic may not contain #, + or $, nor start or end with /',
    ],
    [
      'a $ topic',
      broken(`      - { topic: '$SYS/x', qos: 1, service: inventory-service, method: GET, path: /x }
`),
      'routes.yaml:12 groups[0].routes[1]: api/v1/$SYS/x: a topic may not contain #, + or $, nor start or end with /',
    ],
    [
      'an unknown field',
      broken('', '    instance: [http://x]\n'),
      'routes.yaml:3 services.inventory-service.instance: unknown field "instance"',
    ],
    [
      'a bad qos',
      broken(`      - { topic: x, qos: 3, service: inventory-service, method: GET, path: /x }
`),
      'routes.yaml:12 groups[0].routes[1].qos: expected one of 0, 1, 2, got 3',
    ],
    [
      'a missing field',
      broken(`      - { topic: x, service: inventory-service, method: GET, path: /x }
`),
      'routes.yaml:12 groups[0].routes[1].qos: is required',
    ],
    ['a YAML syntax error', 'groups:\n  - prefix: [api\n', 'routes.yaml:3'],
  ])('refuses %s, naming the file, line and field', (_what, text, message) => {
    expect(() => parseRoutesFile(text, '/etc/mqgw/routes.yaml')).toThrow(message);
  });

  it('still reads the old key middleware, with a warning naming file, line and the new key', () => {
    const old = parseRoutesFile(
      inventory.replace('steps: [auth, rateLimit]', 'middleware: [auth, rateLimit]'),
      '/etc/mqgw/routes.yaml',
    );
    const current = parseRoutesFile(inventory, '/etc/mqgw/routes.yaml');
    expect(old.routes.map(shape)).toEqual(current.routes.map(shape));
    expect(current.warnings).toEqual([]);
    expect(old.warnings).toEqual([
      'routes.yaml:7 groups[0].middleware: "middleware" is deprecated, rename it to "steps" (read until the next release)',
    ]);
  });

  it('runs the always steps on every route and keeps upstream steps off the gateway’s own', () => {
    const table = parseRoutesFile(
      `groups:
  - prefix: gateway
    steps: [auth, breaker]
    routes:
      - { topic: health, qos: 0, handler: health }
`,
      'routes.yaml',
    );
    expect([...table.routes[0].steps]).toEqual(['auth', 'admission', 'validate']);
    expect(table.routes[0].namespace).toBe('gateway');
  });

  it('publishes a JSON Schema that matches the loader', () => {
    const committed = JSON.parse(readFileSync(join(ROOT, 'config/routes.schema.json'), 'utf8'));
    expect(committed).toEqual(routesJsonSchema());
  });

  it('rewrites a copy, never the request body', () => {
    const rewrite = compileBodyRewrite({ rename: { a: 'b' }, remove: ['c'], set: { d: '{p}-x' } });
    const body = { a: 1, c: 2 };
    expect(rewrite(body, { p: 'v' })).toEqual({ b: 1, d: 'v-x' });
    expect(body).toEqual({ a: 1, c: 2 });
  });
});
