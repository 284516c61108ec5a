import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { MqttRequester } from '@mqgw/testing';
import { WORKSPACE, waitFor } from './support/processes';
import { SERVICE_APPS, Stack, TEST_JWT_SECRET } from './support/stack';

type Data = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const TOKEN = 'dashboard-token-0123456789';
const ARTIFACTS = join(WORKSPACE, 'tmp/e2e-artifacts');

/** Debian's chromium (or CHROMIUM_PATH): nothing here downloads a browser. */
function chromiumPath(): string {
  const candidates = [
    process.env['CHROMIUM_PATH'],
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
  ];
  const found = candidates.find((c) => c && existsSync(c));
  if (!found) throw new Error('no chromium: apt-get install chromium, or set CHROMIUM_PATH');
  return found;
}

/*
 * The dashboard in a real browser, against the real stack after real traffic: what an
 * operator would see, checked the way they would look at it.
 */
describe('the dashboard in headless Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let client: MqttRequester;
  let auth: { authorization: string };

  const cell = (selector: string) => page.locator(selector).first().innerText();

  beforeAll(async () => {
    stack = await Stack.start({
      name: 'dashboard',
      gatewayEnv: {
        DASHBOARD_TOKEN: TOKEN,
        BREAKER_FAILURE_THRESHOLD: '2',
        BREAKER_RECOVERY_SECONDS: '2',
        UPSTREAM_EJECT_SECONDS: '0',
      },
    });
    client = await stack.requester();
    auth = { authorization: await stack.bearer('operator', ['admin']) };
    browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 1300 } });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('is closed without its token, and its data holds no secret', async () => {
    const { httpUrl } = stack.gateways[0];
    expect((await fetch(`${httpUrl}/dashboard`)).status).toBe(401);
    expect((await fetch(`${httpUrl}/dashboard/data?token=wrong-token-0123456789`)).status).toBe(
      401,
    );
    await client.request('api/v1/users/list', {}, { headers: auth });
    const data = await (
      await fetch(`${httpUrl}/dashboard/data`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).text();
    expect(JSON.parse(data)['routes'].length).toBe(20);
    for (const secret of [TOKEN, TEST_JWT_SECRET, auth.authorization.slice(7), 'authorization']) {
      expect(data).not.toContain(secret);
    }
  });

  it('shows the services, the routes, traffic that moves, an error the test caused, and a breaker opening and closing', async () => {
    const missing = await client.request<Data>(
      'api/v1/users/get/nobody-here',
      {},
      { headers: auth },
    );
    expect(missing.body['error'].code).toBe('NOT_FOUND');
    await page.goto(`${stack.gateways[0].httpUrl}/dashboard?token=${TOKEN}`);

    // The four services, each with its instance, healthy.
    for (const app of SERVICE_APPS) {
      await page.locator(`#services tr[data-service="${app}"] .badge`).first().waitFor();
      expect(await cell(`#services tr[data-service="${app}"] .badge`)).toBe('healthy');
    }
    // The route table, the active one.
    expect(await page.locator('#routes tr').count()).toBe(20);
    expect(await cell('#routes tr[data-route="api/v1/users/create"]')).toContain(
      'user-service POST /users',
    );
    // The error the test caused, with its request id, route and code.
    const errorRow = page.locator(
      `#recent-errors tr[data-request="${missing.body['request_id']}"]`,
    );
    await errorRow.waitFor();
    expect(await errorRow.innerText()).toMatch(/NOT_FOUND\s+api\/v1\/users\/get\/\{user_id\}/);
    // Numbers that move: the total counts what the test sends next, without a reload.
    const before = Number(await cell('#total-requests'));
    for (let i = 0; i < 5; i++) await client.request('api/v1/users/list', {}, { headers: auth });
    await waitFor(
      'the total to move',
      async () => Number(await cell('#total-requests')) >= before + 5,
    );
    expect(Number(await page.locator('#chart-rps').getAttribute('data-points'))).toBeGreaterThan(1);
    // Each chart has a time axis: four clock times, oldest first.
    for (const chart of ['#chart-rps-axis', '#chart-latency-axis']) {
      const ticks = await page.locator(`${chart} span`).allInnerTexts();
      expect(ticks).toHaveLength(4);
      for (const tick of ticks) expect(tick).toMatch(/\d{1,2}:\d\d:\d\d/);
      expect(new Set(ticks).size).toBe(4);
    }

    // Open order-service's breaker: its only instance dies, and two calls fail.
    expect(await cell('#breakers tr[data-breaker="order-service"] .badge')).toBe('closed');
    await stack.stopService('order-service', 'SIGKILL');
    for (let i = 0; i < 2; i++) {
      await client.request('api/v1/orders/get/o-1', {}, { headers: auth });
    }
    await waitFor(
      'the page to show the breaker open',
      async () => (await cell('#breakers tr[data-breaker="order-service"] .badge')) === 'open',
    );
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({
      path: join(ARTIFACTS, 'dashboard-breaker-open.jpg'),
      fullPage: true,
      type: 'jpeg',
      quality: 70,
    });

    // A new instance, and after the recovery time one probe closes it again.
    await stack.startService('order-service');
    await waitFor(
      'the breaker to close after a probe',
      async () => {
        await client.request('api/v1/orders/get/o-1', {}, { headers: auth, timeoutMs: 2000 });
        return (await cell('#breakers tr[data-breaker="order-service"] .badge')) === 'closed';
      },
      20_000,
    );
    expect(await cell('#served-by')).toContain(stack.gateways[0].clientId);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    expect(await cell('#services tr[data-service="order-service"] td:nth-child(6)')).toMatch(/\d/);
  });

  it('ships a Grafana dashboard that queries only metrics the gateway exports', async () => {
    // After the test above, every labelled series has a sample (the breaker moved too),
    // once a request is dropped.
    await client
      .request(
        'api/v1/users/list',
        {},
        { headers: auth, responseTopic: 'devices/door', timeoutMs: 300 },
      )
      .catch(() => undefined);
    await waitFor('the drop to be counted', async () =>
      /^mqgw_dropped_requests_total\{/m.test(
        await (await fetch(`${stack.gateways[0].httpUrl}/metrics`)).text(),
      ),
    );
    const dashboard = JSON.parse(
      readFileSync(join(WORKSPACE, 'config/grafana/mqgw-dashboard.json'), 'utf8'),
    ) as { panels: { title: string; targets: { expr: string }[] }[] };
    const exported = await (await fetch(`${stack.gateways[0].httpUrl}/metrics`)).text();
    const families = new Set([...exported.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    const queried = dashboard.panels.flatMap((p) =>
      p.targets.flatMap((t) => [...t.expr.matchAll(/\bmqgw_[a-z_]+/g)].map((m) => m[0])),
    );
    expect(queried.length).toBeGreaterThan(10);
    const missing = queried
      .map((name) => name.replace(/_(bucket|sum|count)$/, ''))
      .filter((name) => !families.has(name));
    expect(missing).toEqual([]);
    // And each has samples, so the panels draw something.
    for (const name of new Set(queried)) {
      expect([name, new RegExp(`^${name}[{ ]`, 'm').test(exported)]).toEqual([name, true]);
    }
  });

  it('gives a DNS-rebinding page nothing, even from a gateway without a token', async () => {
    // A second gateway with no DASHBOARD_TOKEN, and a browser that resolves an attacker's
    // name to this machine: the page is same-origin with the dashboard, and still refused.
    const open = await stack.startGateway({ DASHBOARD_TOKEN: '' });
    const port = new URL(open.httpUrl).port;
    const rebound = await chromium.launch({
      executablePath: chromiumPath(),
      args: ['--no-sandbox', '--host-resolver-rules=MAP rebind.test 127.0.0.1'],
    });
    try {
      const attacker = await rebound.newPage();
      for (const path of ['/dashboard', '/dashboard/data', '/routes', '/asyncapi.yaml']) {
        const response = await attacker.goto(`http://rebind.test:${port}${path}`);
        expect([path, response?.status()]).toEqual([path, 403]);
        expect(await attacker.content()).not.toContain('api/v1/users/create');
      }
      // The same dashboard, under a name it answers to.
      const own = await attacker.goto(`http://127.0.0.1:${port}/dashboard/data`);
      expect(own?.status()).toBe(200);
    } finally {
      await rebound.close();
      await open.process.stop();
    }
  });
});
