import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, isMqgwError, type MqgwClient } from '@mqgw/client';
import {
  defaultRoutesFile,
  loadRoutesFile,
  type CompiledRoute,
  type JsonSchema,
} from '@mqgw/routes';
import { scrape } from './support/prometheus';
import { LOG_DIR, WORKSPACE, waitFor } from './support/processes';
import { Stack, type ServiceApp } from './support/stack';
import { TestUpstream, echo, type Behaviour } from './support/test-upstream';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const TABLE = loadRoutesFile(defaultRoutesFile());
const route = (template: string): CompiledRoute =>
  TABLE.routes.find((r) => r.template === template)!;
const SERVICE_APP: Record<string, ServiceApp> = {
  'user-service': 'user-service',
  'user-service-v2': 'user-service',
  'order-service': 'order-service',
  'order-service-v2': 'order-service',
  'payment-service': 'payment-service',
  'notification-service': 'notification-service',
};
/** Routes whose one schema serves several actions: the service checks what each needs. */
const PARTIAL = new Set(['api/v2/users/{action}', 'api/v2/orders/{action}']);
const ACTIONS: Record<string, string[]> = {
  'api/v2/users/{action}': ['create', 'get', 'update', 'search'],
  'api/v2/orders/{action}': ['create', 'get', 'cancel'],
};

/** One branch of a schema that says what a value is, skipping `null` alternatives. */
function shapeOf(schema: JsonSchema | undefined): Json {
  if (typeof schema !== 'object') return {};
  const branches = (schema['anyOf'] ?? schema['oneOf']) as Json[] | undefined;
  return branches?.find((b) => b['type'] !== 'null') ?? (schema as Json);
}

/**
 * Bodies near a valid one, to ask the schema and the service the same question: each
 * property removed, null, of the wrong type, at and past its bounds, off its enum; an
 * unknown property; nested objects and array items the same way, one level at a time.
 */
function mutations(schema: JsonSchema, valid: unknown, path = ''): [string, unknown][] {
  const shape = shapeOf(schema);
  const out: [string, unknown][] = [];
  const values = (s: Json): [string, unknown][] => {
    const v: [string, unknown][] = [
      ['null', null],
      ['a number', 12345],
      ['a string', 'text'],
      ['an object', { a: 1 }],
    ];
    for (const [key, n] of [
      ['maxLength', 0],
      ['minLength', 0],
    ] as const) {
      if (typeof s[key] === 'number') {
        v.push(
          [`${key}`, 'x'.repeat(s[key] + n)],
          [`past ${key}`, 'x'.repeat(key === 'maxLength' ? s[key] + 1 : Math.max(0, s[key] - 1))],
        );
      }
    }
    for (const key of ['minimum', 'maximum'] as const) {
      if (typeof s[key] === 'number') {
        v.push([key, s[key]], [`past ${key}`, key === 'maximum' ? s[key] + 1 : s[key] - 1]);
      }
    }
    if (typeof s['multipleOf'] === 'number') v.push(['three decimals', 1.005]);
    if (Array.isArray(s['enum'])) v.push(['off the enum', '__nope__']);
    if (s['type'] === 'array') {
      v.push(['empty', []]);
      if (typeof s['maxItems'] === 'number')
        v.push([
          'past maxItems',
          Array.from({ length: s['maxItems'] + 1 }, () => (valid as unknown[])?.[0]),
        ]);
    }
    return v;
  };
  if (valid !== null && typeof valid === 'object' && !Array.isArray(valid)) {
    const body = valid as Json;
    const properties = (shape['properties'] ?? {}) as Record<string, JsonSchema>;
    out.push([`${path}/__extra__ added`, { ...body, __extra__: 1 }]);
    for (const [name, property] of Object.entries(properties)) {
      if (name in body) {
        const { [name]: _gone, ...rest } = body;
        out.push([`${path}/${name} removed`, rest]);
        for (const [nested, value] of mutations(property, body[name], `${path}/${name}`)) {
          out.push([nested, { ...body, [name]: value }]);
        }
      }
      for (const [what, value] of values(shapeOf(property))) {
        out.push([`${path}/${name} ${what}`, { ...body, [name]: value }]);
      }
    }
  } else if (Array.isArray(valid) && valid.length > 0) {
    for (const [nested, value] of mutations(
      shapeOf(schema)['items'] as JsonSchema,
      valid[0],
      `${path}/0`,
    )) {
      out.push([nested, [value, ...valid.slice(1)]]);
    }
  }
  return out;
}

function examplesOf(schema: JsonSchema | undefined): Json[] {
  return typeof schema === 'object' && Array.isArray(schema['examples'])
    ? (schema['examples'] as Json[])
    : [];
}

/**
 * The stubs and the schemas in step: the default table's request schemas and the stub
 * services, asked the same questions, answer them the same way; and what the services
 * answer keeps the reply schemas. A change to either alone fails here.
 */
describe('the stub services and the default schemas', () => {
  let stack: Stack;
  let admin: MqgwClient;
  let token = '';

  beforeAll(async () => {
    stack = await Stack.start({ name: 'schemas' });
    token = (await stack.bearer('schema-admin', ['admin', 'payments:refund'])).slice(7);
    admin = await connect(stack.mqttUrl, {
      token: () => token,
      routes: TABLE.routes.map((r) => ({
        topic: r.template,
        method: r.handler === 'proxy' ? r.method : 'GET',
      })),
    });
  }, 120_000);
  afterAll(async () => {
    await admin?.close();
    await stack?.stop();
  });

  /** The service's own answer to a body, sent as the gateway sends it (HTTP, identity headers). */
  async function serviceStatus(r: CompiledRoute, body: unknown, params: Record<string, string>) {
    const payload = r.transformBody ? r.transformBody(body as Json, params) : body;
    const path = r.upstreamPath!.replace(/\{([^}]+)\}/g, (_, n: string) =>
      encodeURIComponent(params[n] ?? 'x'),
    );
    const res = await fetch(`${stack.services.get(SERVICE_APP[r.service!])!.url}${path}`, {
      method: r.method,
      headers: {
        'content-type': 'application/json',
        'x-user-id': 'drift-check',
        'x-user-scopes': 'admin payments:refund',
      },
      body: JSON.stringify(payload),
    });
    await res.arrayBuffer();
    return res.status;
  }

  // First: the checks below send the same example to the service, and an email is taken once.
  it('takes the seed example as written, and refuses an elevated role without the admin scope', async () => {
    const john = await connect(stack.mqttUrl, { token: (await stack.bearer('john')).slice(7) });
    try {
      const created = (await john.request('api/v1/users/create', {
        name: 'John Doe',
        email: 'john@example.com',
        role: 'user',
      })) as Json;
      expect(created).toMatchObject({
        status: 'success',
        service: 'user-service',
        data: { user_id: 'john', name: 'John Doe', email: 'john@example.com', role: 'user' },
      });
      const mallory = await connect(stack.mqttUrl, {
        token: (await stack.bearer('mallory')).slice(7),
      });
      try {
        const refused = await mallory
          .request('api/v1/users/create', { name: 'M', email: 'm@example.com', role: 'admin' })
          .catch((e: unknown) => e);
        expect(refused).toMatchObject({
          code: 'FORBIDDEN',
          status: 403,
          reply: { error: { message: 'only an admin may give the admin role' } },
        });
      } finally {
        await mallory.close();
      }
      const root = (await admin.request('api/v1/users/create', {
        name: 'Root',
        email: 'root@example.com',
        role: 'admin',
        user_id: 'root-2',
      })) as Json;
      expect(root['data']).toMatchObject({ user_id: 'root-2', role: 'admin' });
    } finally {
      await john.close();
    }
  });

  it('refuses exactly the bodies the services refuse, route by route', async () => {
    const disagreements: string[] = [];
    let asked = 0;
    for (const r of TABLE.routes) {
      if (r.handler !== 'proxy' || r.method === 'GET' || r.method === 'DELETE') continue;
      const schema = r.contract!.request!;
      const examples = examplesOf(schema);
      if (examples.length === 0) continue;
      for (const action of ACTIONS[r.template] ?? ['']) {
        const params = {
          action,
          user_id: 'drift-check',
          order_id: 'ord_none',
          payment_id: 'pay_none',
        };
        for (const example of examples) {
          for (const [what, body] of [
            ['the example', example] as [string, unknown],
            ['{}', {}],
            ...mutations(schema, example),
          ]) {
            const schemaSays = r.contract!.validateRequest(body).length === 0;
            const serviceSays = (await serviceStatus(r, body, params)) !== 400;
            asked++;
            // A schema that serves several actions may accept less than each action needs,
            // never refuse what one takes.
            const disagree = PARTIAL.has(r.template)
              ? !schemaSays && serviceSays
              : schemaSays !== serviceSays;
            if (disagree) {
              disagreements.push(
                `${r.template}${action ? ` (${action})` : ''}: ${what}: schema ${schemaSays ? 'accepts' : 'refuses'}, service ${serviceSays ? 'accepts' : 'refuses'} ${JSON.stringify(body).slice(0, 120)}`,
              );
            }
          }
        }
      }
    }
    expect(disagreements).toEqual([]);
    expect(asked).toBeGreaterThan(300);
  }, 120_000);

  it('gets replies that keep every route’s reply schema, through the gateway', async () => {
    const replies = new Map<string, unknown>();
    const call = async (template: string, topic: string, body: Json = {}) => {
      const reply = (await admin.request(topic, body)) as Json;
      replies.set(template, template.startsWith('gateway/') ? reply : reply['data']);
      return reply;
    };
    const user = await call('api/v1/users/create', 'api/v1/users/create', {
      name: 'Schema Admin',
      email: 'schema-admin@example.com',
    });
    const id = user['data'].user_id as string;
    await call('api/v1/users/get/{user_id}', `api/v1/users/get/${id}`);
    await call('api/v1/users/update/{user_id}', `api/v1/users/update/${id}`, { name: 'Renamed' });
    await call('api/v1/users/list', 'api/v1/users/list');
    const order = await call('api/v1/orders/create', 'api/v1/orders/create', {
      items: [{ sku: 'widget', quantity: 3 }],
    });
    const orderId = order['data'].order_id as string;
    await call('api/v1/orders/get/{order_id}', `api/v1/orders/get/${orderId}`);
    await call('api/v1/orders/update/{order_id}', `api/v1/orders/update/${orderId}`, {
      items: [{ sku: 'gadget', quantity: 1 }],
    });
    await call('api/v1/orders/list/{user_id}', `api/v1/orders/list/${id}`);
    const payment = await call('api/v1/payments/process', 'api/v1/payments/process', {
      order_id: orderId,
      amount: 19.99,
      currency: 'USD',
    });
    const paymentId = payment['data'].payment_id as string;
    await call('api/v1/payments/status/{payment_id}', `api/v1/payments/status/${paymentId}`);
    await call('api/v1/payments/refund/{payment_id}', `api/v1/payments/refund/${paymentId}`, {
      amount: 5,
    });
    await call('api/v1/notifications/send', 'api/v1/notifications/send', {
      recipient: 'a@x.io',
      channel: 'email',
      template_id: 'order-confirmation',
      data: { order_id: orderId },
    });
    await call(
      'api/v1/notifications/templates/{template_id}',
      'api/v1/notifications/templates/welcome',
    );
    await call('api/v1/orders/cancel/{order_id}', `api/v1/orders/cancel/${orderId}`);
    await call('api/v2/users/{action}', 'api/v2/users/search', { query: 'Renamed' });
    await call('api/v2/orders/{action}', 'api/v2/orders/create', {
      items: [{ sku: 'sku-1', quantity: 2 }],
    });
    await call('gateway/health', 'gateway/health');
    await call('gateway/services', 'gateway/services');
    await call('gateway/metrics', 'gateway/metrics');
    await call('api/v1/users/delete/{user_id}', `api/v1/users/delete/${id}`);
    expect([...replies.keys()].sort()).toEqual(TABLE.routes.map((r) => r.template).sort());
    const broken = [...replies].flatMap(([template, data]) =>
      route(template)
        .contract!.validateReply(data)
        .map((v) => `${template}: ${v.pointer} ${v.message}`),
    );
    expect(broken).toEqual([]);
  }, 60_000);

  it('renders a template from its data, and refuses an unknown variable at the gateway', async () => {
    const sent = (await admin.request('api/v1/notifications/send', {
      recipient: 'ada@example.com',
      channel: 'email',
      template_id: 'welcome',
      data: { name: 'Ada' },
    })) as Json;
    expect(sent['data']).toMatchObject({
      subject: 'Welcome',
      body: 'Hello Ada, welcome aboard.',
      status: 'queued',
    });
    const refused = await admin
      .request('api/v1/notifications/send', {
        recipient: 'a@x.io',
        channel: 'email',
        template_id: 'welcome',
        data: { name: 'Ada', coupon: 'FREE' },
      })
      .catch((e: unknown) => e);
    expect(isMqgwError(refused)).toBe(true);
    expect(refused).toMatchObject({
      code: 'BAD_REQUEST',
      details: {
        violations: [
          { pointer: '/data/coupon', message: 'is not allowed: the name must be one of "name"' },
        ],
      },
    });
  });

  it('compiles a typed snippet against generated types and gets a typed reply from the stack', async () => {
    const dir = join(LOG_DIR, 'typed-client');
    mkdirSync(dir, { recursive: true });
    const cli = (args: string[]) =>
      spawnSync(process.execPath, [join(WORKSPACE, 'tools/cli/mqgw.cjs'), ...args], {
        cwd: WORKSPACE,
        encoding: 'utf8',
      });
    expect(
      cli(['generate', 'types', '--routes', 'config/routes.yaml', '--out', join(dir, 'routes.ts')])
        .status,
    ).toBe(0);
    writeFileSync(
      join(dir, 'main.ts'),
      `import { connect } from '@mqgw/client';
import { ROUTES, type Routes } from './routes';

async function main(): Promise<void> {
  const client = await connect<Routes>(process.env['MQTT_URL']!, { token: process.env['TOKEN'], routes: ROUTES });
  const reply = await client.request('api/v1/users/create', { name: 'Typed Ada', email: 'typed@example.com' });
  const role: 'user' | 'admin' = reply.data.role;
  process.stdout.write(JSON.stringify({ id: reply.data.user_id, role, service: reply.service }));
  await client.close();
}
void main();
`,
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: '../../../tsconfig.base.json',
        compilerOptions: { noEmit: true },
        // Listed: the base excludes tmp/, where this runs.
        files: ['main.ts', 'routes.ts'],
      }),
    );
    const tsc = spawnSync(
      process.execPath,
      [join(WORKSPACE, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')],
      { encoding: 'utf8' },
    );
    expect(tsc.stdout + tsc.stderr).toBe('');
    const ran = spawnSync(process.execPath, ['-r', '@swc-node/register', join(dir, 'main.ts')], {
      cwd: WORKSPACE,
      encoding: 'utf8',
      env: {
        PATH: process.env['PATH'] ?? '',
        SWC_NODE_PROJECT: join(WORKSPACE, 'tsconfig.base.json'),
        MQTT_URL: stack.mqttUrl,
        TOKEN: (await stack.bearer('typed-ada')).slice(7),
      },
      timeout: 30_000,
    });
    expect([ran.status, ran.stderr]).toEqual([0, '']);
    expect(JSON.parse(ran.stdout)).toEqual({
      id: 'typed-ada',
      role: 'user',
      service: 'user-service',
    });
  }, 60_000);
});

/**
 * The gateway's side of a contract, with a counting stand-in for the services: what a
 * refused body costs (nothing upstream, nothing from the rate limit), and what reply
 * validation does with a service that breaks its reply schema.
 */
describe('contracts at the gateway', () => {
  let stack: Stack;
  let users: TestUpstream;
  let orders: TestUpstream;
  let client: MqgwClient;
  let replyWith: Behaviour = echo;

  beforeAll(async () => {
    users = await TestUpstream.start((req, res) => replyWith(req, res));
    orders = await TestUpstream.start(json({ order_id: 1 }));
    // The default table, with user-service's replies enforced and order-service's warned.
    const routes = readFileSync(defaultRoutesFile(), 'utf8')
      .replace(/\$ref: schemas\//g, '$ref: ../../config/schemas/')
      .replace('  user-service:\n', '  user-service:\n    replyValidation: enforce\n')
      .replace('  order-service:\n', '  order-service:\n    replyValidation: warn\n');
    mkdirSync(LOG_DIR, { recursive: true });
    const routesFile = join(LOG_DIR, 'schemas-routes.yaml');
    writeFileSync(routesFile, routes);
    stack = await Stack.start({
      name: 'schemas-gateway',
      noServices: true,
      gatewayEnv: {
        ROUTES_FILE: routesFile,
        SERVICES: `user-service=${users.url},order-service=${orders.url}`,
        RATE_LIMIT_MAX: '4',
        BREAKER_FAILURE_THRESHOLD: '2',
        DASHBOARD_TOKEN: 'dashboard-token-0123456789',
      },
    });
    client = await connect(stack.mqttUrl, {
      token: (await stack.bearer('counted')).slice(7),
      retries: 0,
    });
  }, 60_000);
  afterAll(async () => {
    await client?.close();
    await stack?.stop();
    await users?.stop();
    await orders?.stop();
  });

  it('refuses an invalid body with a pointer to the field; the service never sees it, the rate limit never counts it', async () => {
    const before = users.requests.length;
    for (let i = 0; i < 5; i++) {
      const refused = await client
        .request('api/v1/users/create', { name: 'Ada', email: `not-an-email-${i}` })
        .catch((e: unknown) => e);
      expect(refused).toMatchObject({
        code: 'BAD_REQUEST',
        status: 400,
        details: { violations: [{ pointer: '/email', message: 'must match format "email"' }] },
      });
    }
    expect(users.requests.length).toBe(before);
    // Five refusals, and still the whole budget of four.
    replyWith = json({
      user_id: 'counted',
      name: 'Ada',
      email: 'ada@example.com',
      role: 'user',
      created_at: '2025-01-01T00:00:00Z',
      updated_at: '2025-01-01T00:00:00Z',
    });
    for (let i = 0; i < 4; i++) {
      expect((await client.request('api/v1/users/get/counted'))['status']).toBe('success');
    }
    expect(users.requests.length).toBe(before + 4);
    await expect(client.request('api/v1/users/get/counted')).rejects.toMatchObject({
      code: 'RATE_LIMITED',
    });
  });

  it('answers UPSTREAM_ERROR (contract) for a reply that breaks its schema under enforce, without opening the circuit', async () => {
    const other = await connect(stack.mqttUrl, {
      token: (await stack.bearer('enforced')).slice(7),
      retries: 0,
    });
    try {
      replyWith = json({ user_id: 'enforced', password_hash: 'secret' });
      for (let i = 0; i < 3; i++) {
        const refused = await other.request('api/v1/users/get/enforced').catch((e: unknown) => e);
        expect(refused).toMatchObject({
          code: 'UPSTREAM_ERROR',
          status: 502,
          details: { reason: 'contract' },
        });
        expect(JSON.stringify((refused as { reply: unknown }).reply)).not.toContain('secret');
      }
      // Past the breaker's threshold of 2, and the service's good replies still pass.
      replyWith = json({
        user_id: 'enforced',
        name: 'E',
        email: 'e@example.com',
        role: 'user',
        created_at: '2025-01-01T00:00:00Z',
        updated_at: '2025-01-01T00:00:00Z',
      });
      expect((await other.request('api/v1/users/get/enforced'))['status']).toBe('success');
    } finally {
      await other.close();
    }
  });

  it('lets a broken reply through under warn, and counts both kinds per route, on /metrics and the dashboard', async () => {
    const other = await connect(stack.mqttUrl, {
      token: (await stack.bearer('warned')).slice(7),
      retries: 0,
    });
    try {
      const reply = (await other.request('api/v1/orders/get/o-1')) as Json;
      expect(reply).toMatchObject({ status: 'success', data: { order_id: 1 } });
    } finally {
      await other.close();
    }
    const { httpUrl } = stack.gateways[0];
    const samples = await scrape(httpUrl);
    const violations = (route: string, kind: string) =>
      samples.get(`mqgw_contract_violations_total{route="${route}",kind="${kind}"}`);
    expect(violations('api/v1/users/create', 'request')).toBe(5);
    expect(violations('api/v1/users/get/{user_id}', 'reply')).toBe(3);
    expect(violations('api/v1/orders/get/{order_id}', 'reply')).toBe(1);
    let rows: Json[] = [];
    await waitFor('the dashboard to show the counts', async () => {
      const data = (await (
        await fetch(`${httpUrl}/dashboard/data`, {
          headers: { authorization: 'Bearer dashboard-token-0123456789' },
        })
      ).json()) as Json;
      rows = data['routes'];
      return (
        rows.find((r) => r['topic'] === 'api/v1/orders/get/{order_id}')?.['reply_violations'] === 1
      );
    });
    expect(rows.find((r) => r['topic'] === 'api/v1/users/create')).toMatchObject({
      request_violations: 5,
      reply_violations: 0,
    });
    expect(rows.find((r) => r['topic'] === 'api/v1/users/get/{user_id}')).toMatchObject({
      reply_violations: 3,
    });
  });
});

function json(body: unknown): Behaviour {
  return (_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(body));
  };
}
