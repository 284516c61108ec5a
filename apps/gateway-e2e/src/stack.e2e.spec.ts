import { mintDevToken } from '@mqgw/auth/testing';
import { portFree } from '@mqgw/mosquitto';
import { connectRequester, openTestRedis, type TestRedis } from '@mqgw/testing';
import { TestBroker } from './support/broker';
import { runCli } from './support/cli';
import { freePort, type ManagedProcess } from './support/processes';
import { TEST_JWT_SECRET, startStackScript } from './support/stack';

type Data = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function basePortWithSibling(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + 100 < 65536 && (await portFree(port + 100))) return port;
  }
}

/** `npm run stack` with a broker and Redis: two gateway replicas behind a shared subscription. */
describe('npm run stack: two gateways sharing the load', () => {
  let broker: TestBroker;
  let redis: TestRedis;
  let stack: ManagedProcess;
  let httpPort: number;
  let cliEnv: Record<string, string>;

  beforeAll(async () => {
    broker = await TestBroker.start('stack-broker');
    redis = await openTestRedis('stack');
    httpPort = await basePortWithSibling();
    stack = await startStackScript(
      'stack',
      httpPort,
      {
        MQTT_URL: broker.url,
        REDIS_URL: 'redis://127.0.0.1:6379',
        REDIS_KEY_PREFIX: redis.prefix,
        MQTT_CLIENT_ID: `${redis.prefix}stack`.replace(/[^\w.:-]/g, '-').slice(0, 50),
        MQTT_SESSION_EXPIRY_SECONDS: '0',
        JWT_SECRET: TEST_JWT_SECRET,
      },
      2,
    );
    cliEnv = { MQTT_URL: broker.url, JWT_SECRET: TEST_JWT_SECRET };
  });
  afterAll(async () => {
    await stack?.stop('SIGTERM', 20_000);
    await broker?.stop();
    await redis?.close();
  });

  it('answers every request exactly once, and both replicas take part', async () => {
    const client = await connectRequester(broker.url);
    const token = `Bearer ${await mintDevToken({ secret: TEST_JWT_SECRET, sub: 'stack-user' })}`;
    try {
      const replies = await Promise.all(
        Array.from({ length: 100 }, () =>
          client.request<Data>('api/v1/users/list', {}, { headers: { authorization: token } }),
        ),
      );
      expect(replies.every((r) => r.body['status'] === 'success')).toBe(true);
      expect(client.received.filter((r) => r.topic.startsWith(client.replyPrefix))).toHaveLength(
        100,
      );
    } finally {
      await client.close();
    }
    for (const port of [httpPort, httpPort + 100]) {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const served =
        /^mqgw_requests_total\{route="api\/v1\/users\/list",outcome="success"\} (\d+)$/m.exec(text);
      expect([port, Number(served?.[1] ?? 0) > 0]).toEqual([port, true]);
    }
  });

  it('is driven by the CLI: request, services and health, with exit codes', async () => {
    const token = (await runCli(['token', '--sub', 'cli-user'], cliEnv)).stdout.trim();
    const created = await runCli(
      ['request', 'api/v1/users/create', '--data', '{"name":"C","email":"c@x.io"}', '--qos', '2'],
      { ...cliEnv, MQGW_TOKEN: token },
    );
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({
      status: 'success',
      service: 'user-service',
    });
    expect(created.stderr).toMatch(/^api\/v1\/users\/create: success in [\d.]+ ms\n$/);
    // From standard input, as a script piping a secret would.
    const missing = await runCli(['request', 'api/v1/users/get/none', '--token-stdin'], cliEnv, {
      stdin: `${token}\n`,
    });
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout).error.code).toBe('NOT_FOUND');
    const services = await runCli(['services'], cliEnv);
    expect(JSON.parse(services.stdout).count).toBeGreaterThanOrEqual(6);
    const health = await runCli(['health'], cliEnv);
    expect(JSON.parse(health.stdout)).toMatchObject({ status: 'healthy', redis: 'healthy' });
    const timeout = await runCli(['request', 'nobody/listens', '--timeout', '300'], cliEnv);
    expect(timeout).toMatchObject({
      code: 2,
      // Sent again twice with its idempotency key: the CLI's --retries defaults to 2.
      stderr: 'error: no reply on nobody/listens within 300 ms (3 attempts)\n',
    });
  });
});
