import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileBodyRewrite } from './body-rewrite';
import { compileRoutes } from './route-compiler';
import { LEGACY_ROUTES, v2Payload } from './route-table.fixture';
import type { CompiledRoute } from './route.types';
import { defaultRoutesFile, loadRoutesFile, parseRoutesFile } from './routes-file';
import { routesJsonSchema } from './routes-file.schema';
import { STEP_NAMES } from './steps';

const ROOT = join(__dirname, '../../../..');

/**
 * A compiled route as data, its body rewrite left out (compared by its effect), and its
 * contract, which the legacy table did not have.
 */
const shape = ({ transformBody: _t, body: _b, contract: _c, steps, ...rest }: CompiledRoute) => ({
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
    // Every route has a contract now, and validates its requests.
    for (const route of table.routes) {
      expect([route.template, route.contract?.request, route.contract?.reply]).toEqual([
        route.template,
        expect.anything(),
        expect.anything(),
      ]);
      expect(route.steps.has('validate')).toBe(true);
    }
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
    const own = table.routes.filter((r) => r.namespace !== 'gateway');
    expect(own.map((r) => [r.template, r.filter, r.method, r.upstreamPath])).toEqual([
      ['api/v1/inventory/get/{sku}', 'api/v1/inventory/get/+', 'GET', '/items/{sku}'],
    ]);
    expect(table.services.get('inventory-service')).toEqual({
      name: 'inventory-service',
      instances: ['http://10.0.0.5:8080'],
      balancer: undefined,
      breaker: undefined,
      replyValidation: undefined,
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
    [
      'a key indented one space too far',
      inventory.replace('        method: GET', '         method: GET'),
      'routes.yaml:12: bad indentation: this line does not line up with the keys beside it (YAML nests by spaces)',
    ],
    [
      'a key indented one space short',
      inventory.replace('        method: GET', '       method: GET'),
      'routes.yaml:12: bad indentation: this line does not line up with the keys beside it (YAML nests by spaces)',
    ],
    [
      'a tab in the indentation',
      'groups:\n\t- prefix: api\n',
      'routes.yaml:2: a tab indents this line: YAML indents with spaces',
    ],
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
      `gateway: false
groups:
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

describe('request and reply schemas in the routes file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'routes-schemas-'));
  const write = (name: string, text: string) => {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const routesFile = (route: string, extra = '') =>
    write(
      'routes.yaml',
      `services:
  things:${extra}
groups:
  - prefix: api/x
    middleware: [auth]
    routes:
      - topic: things/create
        qos: 1
        service: things
        method: POST
        path: /things
${route}`,
    );

  beforeEach(() => {
    write('schemas/id.yaml', 'type: string\npattern: "^[a-z]+$"\n');
    write(
      'schemas/thing.json',
      JSON.stringify({
        type: 'object',
        required: ['id'],
        additionalProperties: false,
        properties: { id: { $ref: 'id.yaml' } },
      }),
    );
  });

  it('compiles inline schemas and {$ref: <file>}, relative to the file, nested refs too', () => {
    const file = routesFile(`        request:
          type: object
          properties: { id: { $ref: schemas/id.yaml } }
        reply: { $ref: schemas/thing.json }
        replyValidation: enforce
`);
    const [route] = loadRoutesFile(file).routes;
    expect(route.steps.has('validate')).toBe(true);
    expect(route.contract!.replyValidation).toBe('enforce');
    expect(route.contract!.validateRequest({ id: 'abc' })).toEqual([]);
    expect(route.contract!.validateRequest({ id: 'ABC' })).toEqual([
      { pointer: '/id', message: 'must match pattern "^[a-z]+$"' },
    ]);
    expect(route.contract!.validateReply({ id: 'a', x: 1 })).toEqual([
      { pointer: '/x', message: 'is not allowed' },
    ]);
    // The bundled schema, self-contained: what AsyncAPI, the types and `routes diff` read.
    expect(route.contract!.reply).toEqual({
      type: 'object',
      required: ['id'],
      additionalProperties: false,
      properties: { id: { type: 'string', pattern: '^[a-z]+$' } },
    });
  });

  it('takes reply validation from the route, else the group, else the service; off by default', () => {
    const modes = (group: string, service: string, route: string) => {
      const file = write(
        'modes.yaml',
        `services:
  things: { ${service} }
groups:
  - prefix: api/x
    middleware: [auth]
    ${group}
    routes:
      - { topic: a, qos: 1, service: things, method: GET, path: /a, reply: true, ${route} }
      - { topic: b, qos: 1, service: things, method: GET, path: /b, reply: true }
      - { topic: c, qos: 1, service: things, method: GET, path: /c }
`,
      );
      // The file's own three; the built-in gateway routes follow.
      return loadRoutesFile(file)
        .routes.slice(0, 3)
        .map((r) => r.contract?.replyValidation);
    };
    expect(modes('', '', '')).toEqual(['off', 'off', undefined]);
    expect(modes('', 'replyValidation: warn', '')).toEqual(['warn', 'warn', undefined]);
    expect(modes('replyValidation: enforce', 'replyValidation: warn', '')).toEqual([
      'enforce',
      'enforce',
      undefined,
    ]);
    expect(
      modes('replyValidation: enforce', 'replyValidation: warn', 'replyValidation: off'),
    ).toEqual(['off', 'enforce', undefined]);
  });

  it('changes the digest when a schema file changes', () => {
    const file = routesFile('        reply: { $ref: schemas/thing.json }\n');
    const before = loadRoutesFile(file).digest;
    write('schemas/id.yaml', 'type: string\n');
    expect(loadRoutesFile(file).digest).not.toBe(before);
  });

  it.each([
    [
      'a file that is missing',
      '        request: { $ref: schemas/nope.yaml }\n',
      'routes.yaml:12 groups[0].routes[0].request: cannot read schemas/nope.yaml (ENOENT)',
    ],
    [
      'a schema that does not compile',
      '        request: { type: object, propertees: {} }\n',
      'routes.yaml:12 groups[0].routes[0].request: api/x/things/create: request schema does not compile: strict mode: unknown keyword: "propertees"',
    ],
    [
      'an unknown format',
      '        reply: { type: string, format: emial }\n',
      'routes.yaml:12 groups[0].routes[0].reply: api/x/things/create: reply schema does not compile: unknown format "emial" ignored in schema at path "#"',
    ],
    [
      'reply validation without a reply schema',
      '        replyValidation: warn\n',
      'routes.yaml:12 groups[0].routes[0].replyValidation: needs a reply schema on the route',
    ],
    [
      'an absolute file',
      '        request: { $ref: /etc/passwd }\n',
      'routes.yaml:12 groups[0].routes[0].request: $ref /etc/passwd: name a file relative to the routes file',
    ],
  ])('refuses %s, naming the file, line and route', (_what, route, message) => {
    expect(() => loadRoutesFile(routesFile(route))).toThrow(message);
  });

  it('refuses a file that refers to itself, and a #-reference in a file taken into another', () => {
    write('schemas/loop.yaml', 'type: object\nproperties: { next: { $ref: loop.yaml } }\n');
    expect(() =>
      loadRoutesFile(routesFile('        request: { $ref: schemas/loop.yaml }\n')),
    ).toThrow('request: schemas/loop.yaml: refers to itself through $ref');
    write('schemas/defs.yaml', '$defs: { n: { type: integer } }\n$ref: "#/$defs/n"\n');
    expect(() =>
      loadRoutesFile(
        routesFile('        request: { properties: { n: { $ref: schemas/defs.yaml } } }\n'),
      ),
    ).toThrow('schemas/defs.yaml: a schema taken into another may not use #-references');
    // The same file as a route's own schema may.
    const [route] = loadRoutesFile(
      routesFile('        request: { $ref: schemas/defs.yaml }\n'),
    ).routes;
    expect(route.contract!.validateRequest(1.5)).toEqual([
      { pointer: '', message: 'must be integer' },
    ]);
  });
});
