import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { STEP_NAMES } from '@mqgw/routes';
import type { MqttRequester } from '@mqgw/testing';
import { runCli } from './support/cli';
import { LOG_DIR, waitFor } from './support/processes';
import { scrape } from './support/prometheus';
import { Stack, TEST_JWT_SECRET, mainOf, type GatewayHandle } from './support/stack';
import { TestUpstream, echo } from './support/test-upstream';

type Data = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * A routes file for a service of the user's own, with the routes `topics` under api/v1, and
 * nothing of the gateway's own: those are built in.
 */
function routesFile(instance: string, topics: string[]): string {
  return `services:
  inventory-service:
    instances: [${instance}]
groups:
  - prefix: api/v1
    steps: [auth, rateLimit]
    routes:
${topics
  .map(
    (topic) => `      - topic: ${topic}
        qos: 1
        service: inventory-service
        method: GET
        path: /items/{sku}
`,
  )
  .join('')}`;
}

/*
 * Routes as configuration: a service that is none of the stubs, fronted through a routes
 * file on the real broker, and reloads of that file on SIGHUP while requests flow.
 */
describe('a routes file of your own, reloaded without a restart', () => {
  const file = join(LOG_DIR, 'routes-e2e.yaml');
  let upstream: TestUpstream;
  let stack: Stack;
  let gateway: GatewayHandle;
  let client: MqttRequester;
  let auth: { authorization: string };

  const activeRoutes = async () =>
    (await (await fetch(`${gateway.httpUrl}/routes`)).json()) as {
      digest: string;
      routes: { topic: string }[];
    };
  const health = async () => (await client.request<Data>('gateway/health')).body;
  const reloadAndWait = async (previous: string, check: (h: Data) => boolean) => {
    gateway.process.child.kill('SIGHUP');
    await waitFor('the reload to be reported', async () => {
      const h = await health();
      return h['routes'].digest !== previous || (h['routes'].last_reload && check(h));
    });
  };

  beforeAll(async () => {
    upstream = await TestUpstream.start(echo);
    writeFileSync(file, routesFile(upstream.url, ['inventory/get/{sku}', 'inventory/old/{sku}']));
    stack = await Stack.start({
      name: 'routes-file',
      noServices: true,
      gatewayEnv: { ROUTES_FILE: file, RATE_LIMIT_MAX: '1000000' },
    });
    gateway = stack.gateways[0];
    client = await stack.requester();
    auth = { authorization: await stack.bearer('ops') };
  });
  afterAll(async () => {
    await stack?.stop();
    await upstream?.stop();
  });

  it('fronts a service of your own, and only the routes the file names, plus the gateway’s own', async () => {
    const reply = await client.request<Data>('api/v1/inventory/get/sku-1', {}, { headers: auth });
    expect(reply.body).toMatchObject({
      status: 'success',
      service: 'inventory-service',
      data: { method: 'GET', url: '/items/sku-1' },
    });
    expect((await activeRoutes()).routes.map((r) => r.topic)).toEqual([
      'api/v1/inventory/get/{sku}',
      'api/v1/inventory/old/{sku}',
      'gateway/health',
      'gateway/services',
      'gateway/metrics',
    ]);
    expect(await health()).toMatchObject({ status: 'healthy', routes: { count: 5 } });
    const metrics = (await client.request<Data>('gateway/metrics')).body;
    expect(metrics['gateway']).toMatchObject({ total_requests: expect.any(Number) });
    const services = (await client.request<Data>('gateway/services')).body;
    expect(services['services'].map((s: Data) => s['name'])).toEqual(['inventory-service']);
    const asyncapi = await (await fetch(`${gateway.httpUrl}/asyncapi.yaml`)).text();
    expect(asyncapi).toContain('address: api/v1/inventory/get/{sku}');
    expect(asyncapi).not.toContain('api/v1/users/create');
    // The CLI prints the table the gateway uses.
    const listed = await runCli(['routes', 'list'], { GATEWAY_URL: gateway.httpUrl });
    expect(listed.stdout).toContain(
      'api/v1/inventory/old/{sku}  1    inventory-service GET /items/{sku}',
    );
  });

  it('applies an edited file on SIGHUP under load, losing no request on the routes that stay', async () => {
    const before = (await activeRoutes()).digest;
    let running = true;
    const outcomes: string[] = [];
    const load = Promise.all(
      Array.from({ length: 16 }, async (_, worker) => {
        for (let i = 0; running; i++) {
          const outcome = await client
            .request<Data>(
              `api/v1/inventory/get/w${worker}-${i}`,
              {},
              {
                headers: auth,
                timeoutMs: 5000,
              },
            )
            .then((r) => (r.body['status'] === 'success' ? 'ok' : `error ${r.body['error']?.code}`))
            .catch((error: Error) => `timeout ${error.message}`);
          outcomes.push(outcome);
        }
      }),
    );
    await waitFor('load to be flowing', async () => outcomes.length >= 200);
    writeFileSync(file, routesFile(upstream.url, ['inventory/get/{sku}', 'inventory/new/{sku}']));
    await reloadAndWait(before, () => false);
    const atReload = outcomes.length;
    await waitFor('load after the reload', async () => outcomes.length >= atReload + 200);
    running = false;
    await load;
    expect(outcomes.filter((o) => o !== 'ok')).toEqual([]);

    const after = await activeRoutes();
    expect(after.routes.map((r) => r.topic)).toContain('api/v1/inventory/new/{sku}');
    expect(after.routes.map((r) => r.topic)).not.toContain('api/v1/inventory/old/{sku}');
    const added = await client.request<Data>('api/v1/inventory/new/n-1', {}, { headers: auth });
    expect(added.body).toMatchObject({ status: 'success', data: { url: '/items/n-1' } });
    // Nobody subscribes to the removed route any more: the broker drops the request.
    await expect(
      client.request('api/v1/inventory/old/o-1', {}, { headers: auth, timeoutMs: 500 }),
    ).rejects.toThrow(/no reply/);
    expect((await health())['routes']).toMatchObject({
      digest: after.digest,
      last_reload: { ok: true },
    });
    expect((await scrape(gateway.httpUrl)).get('mqgw_route_reloads_total{outcome="applied"}')).toBe(
      1,
    );
  });

  it('keeps the old table when the edited file is broken, and says so', async () => {
    const before = await activeRoutes();
    writeFileSync(
      file,
      routesFile(upstream.url, ['inventory/get/{sku}']).replace('method: GET', 'method: FETCH'),
    );
    await reloadAndWait(before.digest, (h) => h['routes'].last_reload.ok === false);
    const h = await health();
    expect(h['status']).toBe('degraded');
    expect(h['routes']).toMatchObject({
      digest: before.digest,
      last_reload: {
        ok: false,
        error:
          'routes-e2e.yaml:11 groups[0].routes[0].method: expected one of GET, POST, PUT, PATCH, DELETE, got "FETCH"',
      },
    });
    expect((await activeRoutes()).digest).toBe(before.digest);
    const still = await client.request<Data>('api/v1/inventory/new/n-2', {}, { headers: auth });
    expect(still.body['status']).toBe('success');
    expect(
      (await scrape(gateway.httpUrl)).get('mqgw_route_reloads_total{outcome="rejected"}'),
    ).toBe(1);
  });

  it('refuses to start on a broken file, in one line naming the file, line and field', () => {
    const broken = join(LOG_DIR, 'routes-broken.yaml');
    writeFileSync(
      broken,
      'groups:\n  - prefix: api/v1\n    steps: [auth, cache]\n    routes: []\n',
    );
    const run = spawnSync(process.execPath, [mainOf('gateway')], {
      env: { PATH: process.env['PATH'] ?? '', ROUTES_FILE: broken, JWT_SECRET: TEST_JWT_SECRET },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).toBe(78);
    expect(run.stderr).toBe(
      `routes error: routes-broken.yaml:3 groups[0].steps[1]: expected one of ${STEP_NAMES.join(', ')}, got "cache"\n`,
    );
  });
});
