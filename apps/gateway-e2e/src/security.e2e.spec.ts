import type { ErrorReply } from '@mqgw/contracts';
import { runCli } from './support/cli';
import { PrivateRedis } from './support/redis-server';
import { Stack, TEST_JWT_SECRET } from './support/stack';

type Data = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('API keys through the CLI', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await Stack.start({
      name: 'apikeys',
      services: ['user-service'],
      gatewayEnv: { API_KEY_CACHE_TTL_SECONDS: '0' },
    });
  });
  afterAll(() => stack?.stop());

  it('creates a key, uses it, lists it, revokes it, and the key is then refused', async () => {
    const env = {
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: stack.prefix,
      MQTT_URL: stack.mqttUrl,
    };
    const created = await runCli(
      ['keys', 'create', '--owner', 'reporting', '--scope', 'admin'],
      env,
    );
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^mqgw_[0-9a-f]{12}_/);
    const id = key.split('_')[1];

    const client = await stack.requester();
    const ok = await client.request('api/v1/users/list', {}, { headers: { 'x-api-key': key } });
    expect(ok.body['status']).toBe('success');

    const listed = await runCli(['keys', 'list'], env);
    expect(listed.stdout).toContain(`${id}  reporting  active`);
    expect(listed.stdout).not.toContain(key);

    expect((await runCli(['keys', 'revoke', id], env)).code).toBe(0);
    const refused = await client.request<ErrorReply>(
      'api/v1/users/list',
      {},
      { headers: { 'x-api-key': key } },
    );
    expect(refused.body.error).toEqual({ code: 'UNAUTHORIZED', message: 'API key revoked' });
    expect((await runCli(['keys', 'list'], env)).stdout).toContain(`${id}  reporting  revoked`);
    expect((await runCli(['keys', 'revoke', 'ffffffffffff'], env)).code).toBe(1);
  });
});

describe('exact rate limits across two gateway instances', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await Stack.start({
      name: 'ratelimit',
      services: ['user-service'],
      gateways: 2,
      gatewayEnv: {
        SHARED_SUBSCRIPTION_GROUP: 'rl',
        RATE_LIMIT_MAX: '100',
        RATE_LIMIT_WINDOW_SECONDS: '60',
      },
    });
  });
  afterAll(() => stack?.stop());

  it('lets exactly 100 of 200 concurrent requests of one principal through, each answered once', async () => {
    const client = await stack.requester();
    const headers = { authorization: await stack.bearer('carol') };
    const replies = await Promise.all(
      Array.from({ length: 200 }, () =>
        client.request<Data>('api/v1/users/list', {}, { headers, timeoutMs: 20_000 }),
      ),
    );
    const passed = replies.filter((r) => r.body['status'] === 'success');
    const limited = replies.filter((r) => r.body['error']?.code === 'RATE_LIMITED');
    expect(passed).toHaveLength(100);
    expect(limited).toHaveLength(100);
    expect(
      limited.every((r) => r.body['status_code'] === 429 && r.body['error'].retry_after >= 1),
    ).toBe(true);
    await sleep(300);
    expect(client.received.filter((r) => r.topic.startsWith(client.replyPrefix))).toHaveLength(200);

    const other = await client.request<Data>(
      'api/v1/users/list',
      {},
      { headers: { authorization: await stack.bearer('dave') } },
    );
    expect(other.body['status']).toBe('success');

    await sleep(200); // counters reach Redis every METRICS_FLUSH_MS
    const metrics = (await client.request<Data>('gateway/metrics')).body;
    expect(metrics['gateway'].rate_limit_hits).toBe(100);
    expect(metrics['gateway'].total_requests).toBe(201);
  });
});

describe('Redis outage: documented fail modes', () => {
  let stack: Stack;
  let redis: PrivateRedis;
  beforeAll(async () => {
    redis = await PrivateRedis.start('outage-redis');
    // No default gateway: each test starts its own against the private Redis.
    stack = await Stack.start({ name: 'outage', services: ['user-service'], gateways: 0 });
  });
  afterAll(async () => {
    await stack?.stop();
    await redis?.stop();
  });

  it('keeps serving JWT requests with fail mode open, refuses keyed work, and recovers', async () => {
    const user = stack.services.get('user-service')!;
    const open = await stack.startGateway({
      REDIS_URL: redis.url,
      SERVICES: `user-service=${user.url}`,
      RATE_LIMIT_FAIL_MODE: 'open',
      RATE_LIMIT_MAX: '3',
    });
    const client = await stack.requester();
    const auth = { authorization: await stack.bearer('erin') };
    expect(
      (await client.request<Data>('api/v1/users/list', {}, { headers: auth })).body['status'],
    ).toBe('success');

    await redis.stop();
    // Open: this instance's local limiter takes over with a fresh window: 3 pass, then 429.
    const during = [];
    for (let i = 0; i < 4; i++)
      during.push((await client.request<Data>('api/v1/users/list', {}, { headers: auth })).body);
    expect(during.map((b) => (b['status'] === 'success' ? 'ok' : b['error'].code))).toEqual([
      'ok',
      'ok',
      'ok',
      'RATE_LIMITED',
    ]);

    const keyed = await client.request<ErrorReply>(
      'api/v1/users/list',
      {},
      { headers: { 'x-api-key': 'mqgw_0123456789ab_' + 'a'.repeat(43) } },
    );
    expect(keyed.body.error).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      message: 'authentication is temporarily unavailable',
    });
    const frank = { authorization: await stack.bearer('frank'), 'idempotency-key': 'k1' };
    const idem = await client.request<ErrorReply>(
      'api/v1/users/create',
      { name: 'Frank', email: 'frank@example.com' },
      { headers: frank },
    );
    expect(idem.body.error).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      message: 'idempotency store unavailable',
    });
    const health = (await client.request<Data>('gateway/health')).body;
    expect(health).toMatchObject({ status: 'degraded', redis: 'unhealthy' });

    await redis.restart();
    let recovered: Data = {};
    for (let i = 0; i < 50; i++) {
      recovered = (await client.request<Data>('gateway/health')).body;
      if (recovered['redis'] === 'healthy') break;
      await sleep(200);
    }
    expect(recovered['redis']).toBe('healthy');
    const after = await client.request<Data>(
      'api/v1/users/list',
      {},
      { headers: { authorization: await stack.bearer('gina') } },
    );
    expect(after.body['status']).toBe('success');
    await open.process.stop();
  });

  it('answers 503 while Redis is away with fail mode closed', async () => {
    const user = stack.services.get('user-service')!;
    const closed = await stack.startGateway({
      REDIS_URL: redis.url,
      SERVICES: `user-service=${user.url}`,
      RATE_LIMIT_FAIL_MODE: 'closed',
    });
    const client = await stack.requester();
    const auth = { authorization: await stack.bearer('hank') };
    expect(
      (await client.request<Data>('api/v1/users/list', {}, { headers: auth })).body['status'],
    ).toBe('success');
    await redis.stop();
    const during = await client.request<ErrorReply>('api/v1/users/list', {}, { headers: auth });
    expect(during.body).toMatchObject({
      status_code: 503,
      error: { code: 'SERVICE_UNAVAILABLE', message: 'rate limiter unavailable' },
    });
    await redis.restart();
    await closed.process.stop();
  });
});

describe('CLI token', () => {
  it('mints a token the gateway accepts, from JWT_SECRET', async () => {
    const minted = await runCli(['token', '--sub', 'ivy', '--scope', 'admin payments:refund'], {
      JWT_SECRET: TEST_JWT_SECRET,
    });
    expect(minted.code).toBe(0);
    const payload = JSON.parse(
      Buffer.from(minted.stdout.trim().split('.')[1], 'base64url').toString(),
    );
    expect(payload).toMatchObject({ sub: 'ivy', scope: 'admin payments:refund' });
    const missing = await runCli(['token'], {});
    expect(missing).toMatchObject({
      code: 2,
      stderr: "error: required option '--sub <id>' not specified\n",
    });
  });
});
