import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintDevToken } from '@mqgw/auth/testing';
import { connectRequester } from '@mqgw/testing';
import { TestBroker } from './support/broker';
import { freePort, spawnLogged, type ManagedProcess } from './support/processes';
import { mainOf, startStackScript } from './support/stack';

type Data = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** `npm start` with nothing configured: embedded broker, in-memory state, static services. */
describe('the one-command start on the embedded default', () => {
  let stack: ManagedProcess;
  let mqttPort: number;
  let httpPort: number;
  let secretFile: string;
  /** The stack's own TMPDIR, to see what the embedded broker leaves there. */
  let temp: string;

  beforeAll(async () => {
    mqttPort = await freePort();
    httpPort = await freePort();
    secretFile = join(mkdtempSync(join(tmpdir(), 'mqgw-embedded-')), 'dev-jwt-secret');
    temp = mkdtempSync(join(tmpdir(), 'mqgw-embedded-tmp-'));
    // No MQTT_URL, no REDIS_URL, no JWT_SECRET, no SERVICES.
    stack = await startStackScript('embedded-stack', httpPort, {
      MQTT_PORT: String(mqttPort),
      DEV_SECRET_FILE: secretFile,
      TMPDIR: temp,
    });
  });
  afterAll(async () => {
    await stack?.stop('SIGINT');
  });

  it('answers a first request end to end, with a token from the generated dev secret', async () => {
    const secret = readFileSync(secretFile, 'utf8').trim();
    const token = await mintDevToken({ secret, sub: 'newcomer' });
    const client = await connectRequester(`mqtt://127.0.0.1:${mqttPort}`);
    try {
      const created = await client.request<Data>(
        'api/v1/users/create',
        { name: 'New', email: 'new@example.com' },
        {
          headers: { authorization: `Bearer ${token}` },
        },
      );
      expect(created.body).toMatchObject({
        status: 'success',
        service: 'user-service',
        data: { name: 'New' },
      });
      const order = await client.request<Data>(
        'api/v1/orders/create',
        { items: [{ sku: 'sku-1', quantity: 2 }] },
        { headers: { authorization: `Bearer ${token}` } },
      );
      const payment = { order_id: order.body['data'].order_id };
      const keyed = { authorization: `Bearer ${token}`, 'idempotency-key': 'first' };
      const limited = await client.request<Data>('api/v1/payments/process', payment, {
        headers: keyed,
      });
      expect(limited.body).toMatchObject({ status: 'success', data: { amount: 5 } });
      const again = await client.request<Data>('api/v1/payments/process', payment, {
        headers: keyed,
      });
      expect(again.body).toEqual(limited.body);
      const health = (await client.request<Data>('gateway/health')).body;
      expect(health['services']).toMatchObject({
        'user-service': 'healthy',
        'payment-service': 'healthy',
      });
    } finally {
      await client.close();
    }
    const log = readFileSync(stack.logFile, 'utf8');
    expect(log).toContain('EMBEDDED MODE');
    // The generated secret is in its file, never in the log.
    expect(log).toContain(`development secret in ${secretFile}`);
    expect(log).not.toContain(readFileSync(secretFile, 'utf8').trim());
  });

  it('stops cleanly on SIGINT, leaving no broker folder in the temporary directory', async () => {
    expect(readdirSync(temp).filter((name) => name.startsWith('mqgw-broker-'))).toHaveLength(1);
    expect(await stack.stop('SIGINT', 20_000)).toBe(0);
    expect(readdirSync(temp).filter((name) => name.startsWith('mqgw-broker-'))).toEqual([]);
  });
});

describe('embedded broker errors', () => {
  it('says how to use a broker that already holds MQTT_PORT, in one line, exit 78', async () => {
    const broker = await TestBroker.start('taken-port');
    try {
      const gateway = spawnLogged('taken-port-gateway', process.execPath, [mainOf('gateway')], {
        MQTT_PORT: String(broker.port),
        JWT_SECRET: 'x'.repeat(32),
      });
      expect(await gateway.waitForExit()).toBe(78);
      await new Promise((r) => setTimeout(r, 50));
      expect(readFileSync(gateway.logFile, 'utf8')).toBe(
        `config error: MQTT_PORT ${broker.port} is already in use (is a broker running there?): ` +
          `set MQTT_URL=mqtt://127.0.0.1:${broker.port} to use it, or choose another MQTT_PORT\n`,
      );
    } finally {
      await broker.stop();
    }
  });
});
