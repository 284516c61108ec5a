import type { ErrorReply } from '@mqgw/contracts';
import { Stack } from './support/stack';
import { freePort } from './support/processes';
import { TestUpstream, delayed, echo, reset, status } from './support/test-upstream';

type Data = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('circuit breaker across two gateway instances', () => {
  let stack: Stack;
  let upstream: TestUpstream;
  beforeAll(async () => {
    upstream = await TestUpstream.start(status(500));
    stack = await Stack.start({
      name: 'breaker',
      noServices: true,
      gateways: 2,
      gatewayEnv: {
        SHARED_SUBSCRIPTION_GROUP: 'br',
        SERVICES: `order-service=${upstream.url}`,
        BREAKER_FAILURE_THRESHOLD: '5',
        BREAKER_RECOVERY_SECONDS: '1',
        FALLBACK_CACHE_TTL_SECONDS: '0',
        RETRY_BUDGET_PERCENT: '0',
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await upstream?.stop();
  });

  it('opens after exactly 5 failures, answers 503 without calling, then recovers through one probe', async () => {
    const client = await stack.requester();
    const headers = { authorization: await stack.bearer('u') };
    const codes: string[] = [];
    for (let i = 0; i < 8; i++) {
      codes.push(
        (await client.request<ErrorReply>(`api/v1/orders/get/${i}`, {}, { headers })).body.error
          .code,
      );
    }
    expect(codes).toEqual([
      ...Array(5).fill('UPSTREAM_ERROR'),
      ...Array(3).fill('SERVICE_UNAVAILABLE'),
    ]);
    expect(upstream.requests).toHaveLength(5);
    const open = await client.request<ErrorReply>('api/v1/orders/get/x', {}, { headers });
    expect(open.body.error).toMatchObject({
      message: 'circuit open for order-service',
      retry_after: 1,
    });

    // The probe stays in flight long enough for every other request to arrive while the
    // circuit is half open; they must be refused, not sent.
    upstream.behaviour = delayed(echo, 400);
    await sleep(1100);
    const probes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        client.request<Data>(`api/v1/orders/get/p${i}`, {}, { headers }),
      ),
    );
    expect(probes.filter((r) => r.body['status'] === 'success')).toHaveLength(1);
    expect(
      probes.filter((r) => (r.body as ErrorReply).error?.code === 'SERVICE_UNAVAILABLE'),
    ).toHaveLength(19);
    expect(upstream.requests).toHaveLength(6);
    const after = await client.request<Data>('api/v1/orders/get/after', {}, { headers });
    expect(after.body['status']).toBe('success');
  });
});

describe('fallbacks, retries and dead instances', () => {
  let stack: Stack;
  let users: TestUpstream;
  let notifications: TestUpstream;
  let notificationsFallback: TestUpstream;
  let payments: TestUpstream;
  let resetting: TestUpstream;
  let deadUrl: string;

  beforeAll(async () => {
    users = await TestUpstream.start(echo);
    payments = await TestUpstream.start(echo);
    resetting = await TestUpstream.start(reset);
    notifications = await TestUpstream.start(status(500));
    notificationsFallback = await TestUpstream.start(echo);
    deadUrl = `http://127.0.0.1:${await freePort()}`;
    stack = await Stack.start({
      name: 'fallback',
      services: ['order-service'],
      gatewayEnv: {
        BREAKER_FAILURE_THRESHOLD: '1000',
        SERVICES: [
          `user-service=${deadUrl}`,
          `user-service=${users.url}`,
          `payment-service=${resetting.url}`,
          `payment-service=${payments.url}`,
          `notification-service=${notifications.url}`,
          `notification-service-fallback=${notificationsFallback.url}`,
        ].join(','),
        HEALTH_CHECK_INTERVAL_SECONDS: '0',
        // Keep refusing instances in rotation, so every test here meets the dead one.
        UPSTREAM_EJECT_SECONDS: '0',
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await Promise.all(
      [users, payments, resetting, notifications, notificationsFallback].map((u) => u?.stop()),
    );
  });

  it('retries an idempotent GET on the other instance when one refuses connections', async () => {
    const client = await stack.requester();
    const headers = { authorization: await stack.bearer('u') };
    const replies = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        client.request<Data>(`api/v1/users/get/r${i}`, {}, { headers }),
      ),
    );
    expect(replies.every((r) => r.body['status'] === 'success')).toBe(true);
  });

  it('sends a POST that an instance refused to another one, once', async () => {
    const client = await stack.requester();
    const headers = { authorization: await stack.bearer('u') };
    const before = users.requests.filter((r) => r.method === 'POST').length;
    for (let i = 0; i < 4; i++) {
      const reply = await client.request<Data>(
        'api/v1/users/create',
        { name: 'n', email: `n${i}@x.io` },
        { headers },
      );
      expect(reply.body['status']).toBe('success');
    }
    expect(users.requests.filter((r) => r.method === 'POST').length - before).toBe(4);
  });

  it('never retries a POST without a key once it may have reached the service', async () => {
    const client = await stack.requester();
    const headers = { authorization: await stack.bearer('u') };
    const replies: Data[] = [];
    for (let i = 0; i < 4; i++) {
      const body = { order_id: `o${i}`, amount: 1, currency: 'EUR' };
      replies.push((await client.request<Data>('api/v1/payments/process', body, { headers })).body);
    }
    const failed = replies.filter((r) => r['status'] === 'error');
    expect(failed).toHaveLength(2);
    for (const r of failed) {
      expect(r['error']).toEqual({
        code: 'UPSTREAM_ERROR',
        message: 'payment-service is unreachable',
      });
    }
    expect(resetting.requests.filter((r) => r.method === 'POST')).toHaveLength(2);
    expect(payments.requests.filter((r) => r.method === 'POST')).toHaveLength(2);
    // The same connection loss on a GET is retried on the other instance.
    const status = await client.request<Data>('api/v1/payments/status/p1', {}, { headers });
    const again = await client.request<Data>('api/v1/payments/status/p2', {}, { headers });
    expect([status.body['status'], again.body['status']]).toEqual(['success', 'success']);
  });

  it('serves the stale cache to the same principal only, marked source: cache', async () => {
    const client = await stack.requester();
    const alice = { authorization: await stack.bearer('alice') };
    const bob = { authorization: await stack.bearer('bob') };
    const created = await client.request<Data>(
      'api/v1/orders/create',
      { items: [{ sku: 'sku-1', quantity: 1 }] },
      { headers: alice },
    );
    const id = created.body['data'].order_id;
    const fresh = await client.request<Data>(`api/v1/orders/get/${id}`, {}, { headers: alice });
    expect(fresh.body['source']).toBeUndefined();
    await sleep(100);
    await stack.stopService('order-service', 'SIGKILL');
    await sleep(100);
    const stale = await client.request<Data>(`api/v1/orders/get/${id}`, {}, { headers: alice });
    expect(stale.body).toMatchObject({
      status: 'success',
      source: 'cache',
      data: fresh.body['data'],
    });
    expect(stale.body['request_id']).not.toBe(fresh.body['request_id']);
    const other = await client.request<ErrorReply>(`api/v1/orders/get/${id}`, {}, { headers: bob });
    expect(other.body.status).toBe('error');
  });

  it('sends the request to <service>-fallback when the service fails', async () => {
    const client = await stack.requester();
    const reply = await client.request<Data>(
      'api/v1/notifications/send',
      { recipient: 'r', channel: 'sms', message: 'm' },
      {
        headers: { authorization: await stack.bearer('u') },
      },
    );
    expect(reply.body).toMatchObject({
      status: 'fallback',
      service: 'notification-service-fallback',
      data: { url: '/notifications' },
    });
    expect(notifications.requests).toHaveLength(1);
    expect(notificationsFallback.requests).toHaveLength(1);
  });
});

describe('discovery: a dead instance leaves routing within its TTL', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await Stack.start({ name: 'discovery', services: ['user-service'] });
  });
  afterAll(() => stack?.stop());

  it('stops routing to a SIGKILLed instance once its registry entry expires (TTL 3 s)', async () => {
    const second = await stack.startService('payment-service');
    const client = await stack.requester();
    const headers = { authorization: await stack.bearer('u') };
    const services = async () =>
      ((await client.request<Data>('gateway/services')).body['services'] as Data[]).find(
        (s) => s['name'] === 'payment-service',
      );
    // Registration follows the service's first health answer; wait for the gateway to see it.
    for (let i = 0; i < 50 && (await services())?.['total_instances'] !== 1; i++) await sleep(100);
    expect((await services())?.['total_instances']).toBe(1);
    await second.process.stop('SIGKILL');
    const started = Date.now();
    while ((await services())?.['total_instances'] !== 0) {
      if (Date.now() - started > 6000) throw new Error('instance still listed after 6 s');
      await sleep(200);
    }
    expect(Date.now() - started).toBeLessThan(6000);
    const reply = await client.request<ErrorReply>(
      'api/v1/payments/process',
      { order_id: 'o', amount: 1, currency: 'USD' },
      { headers },
    );
    expect(reply.body.error).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      message: 'no healthy instance of payment-service',
    });
  });
});
