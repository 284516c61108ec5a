import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { connect, type MqgwClient } from '@mqgw/client';
import { freePort, WORKSPACE } from './support/processes';
import { Stack } from './support/stack';

const PAGE = join(WORKSPACE, 'dist/apps/web-example');
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

/** The built example page, served as a web app would be: its two files, on loopback. */
async function servePage(): Promise<Server> {
  for (const file of ['index.html', 'main.js']) {
    if (!existsSync(join(PAGE, file))) {
      throw new Error(`${PAGE}/${file} is missing: build first (npx nx run-many -t build)`);
    }
  }
  const files: Record<string, [string, string]> = {
    '/': ['index.html', 'text/html; charset=utf-8'],
    '/main.js': ['main.js', 'text/javascript; charset=utf-8'],
  };
  const server = createServer((req, res) => {
    const file = files[new URL(req.url ?? '/', 'http://x').pathname];
    if (!file) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': file[1] }).end(readFileSync(join(PAGE, file[0])));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/*
 * The browser example (apps/web-example) in a real Chromium against the real stack: the
 * page's own @mqgw/client bundle over the broker's WebSocket listener creates a user and
 * lists that user's orders, and the test reads what the page shows.
 */
describe('the browser example in headless Chromium', () => {
  let stack: Stack;
  let server: Server;
  let browser: Browser;
  let page: Page;
  let node: MqgwClient;
  let wsPort: number;
  let origin: string;

  beforeAll(async () => {
    server = await servePage();
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    wsPort = await freePort();
    stack = await Stack.start({
      name: 'browser-client',
      services: ['user-service', 'order-service'],
      broker: { websocketPort: wsPort },
      // Only this page's origin may call: the client sends it by itself.
      gatewayEnv: { ALLOWED_ORIGINS: origin },
    });
    browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
    page = await browser.newPage();
  }, 120_000);

  afterAll(async () => {
    await node?.close();
    await browser?.close();
    await stack?.stop();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('creates a user and lists its orders over MQTT on WebSocket, as the page shows them', async () => {
    const token = (await stack.bearer('browser-ada')).slice(7);
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(
      `${origin}/#url=${encodeURIComponent(`ws://127.0.0.1:${wsPort}`)}&token=${token}`,
    );

    await page.fill('#name', 'Ada Browser');
    await page.fill('#email', 'ada.browser@example.com');
    await page.click('#create');
    await page.waitForSelector('#user[data-user-id]');
    expect(await page.locator('#user').getAttribute('data-user-id')).toBe('browser-ada');
    expect(await page.locator('#user').innerText()).toBe(
      'Created browser-ada: Ada Browser <ada.browser@example.com>, role user.',
    );
    expect(await page.locator('#status').innerText()).toMatch(/^connected, replies on replies\//);

    // Orders placed elsewhere (here, by the same user from Node) show up in the page.
    node = await connect(stack.mqttUrl, { token });
    const placed = (await node.request('api/v1/orders/create', {
      items: [{ sku: 'widget', quantity: 3 }],
    })) as { data: { order_id: string } };
    await page.click('#list');
    await page.waitForSelector(`#orders tr[data-order="${placed.data.order_id}"]`);
    expect(await page.locator('#orders tr').allInnerTexts()).toEqual([
      `${placed.data.order_id}\t3 × widget\t14.97 USD\tpending`,
    ]);

    // The gateway's refusals reach the page typed: a body that breaks the schema.
    await page.fill('#email', 'not-an-email');
    await page.click('#create');
    await page.waitForSelector('#error:not(:empty)');
    expect(await page.locator('#error').innerText()).toBe(
      'BAD_REQUEST (400)\n/email must match format "email"',
    );
    expect(errors).toEqual([]);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'web-example.png'), fullPage: true });
  });

  it('is refused by the gateway from an origin ALLOWED_ORIGINS does not list', async () => {
    const token = (await stack.bearer('browser-eve')).slice(7);
    const elsewhere = await connect(stack.mqttUrl, { token, origin: 'https://evil.example' });
    try {
      await expect(
        elsewhere.request('api/v1/users/create', { name: 'Eve', email: 'eve@example.com' }),
      ).rejects.toMatchObject({
        code: 'FORBIDDEN',
        reply: { error: { message: 'origin not allowed' } },
      });
    } finally {
      await elsewhere.close();
    }
  });
});
