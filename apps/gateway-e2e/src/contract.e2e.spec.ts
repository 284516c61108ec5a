import { createHash } from 'node:crypto';
import {
  ClientProxyFactory,
  MqttRecordBuilder,
  Transport,
  type ClientProxy,
} from '@nestjs/microservices';
import mqtt from 'mqtt';
import { lastValueFrom } from 'rxjs';
import type { ErrorReply, SuccessReply } from '@mqgw/contracts';
import type { MqttRequester } from '@mqgw/testing';
import { Stack } from './support/stack';
import { TestUpstream, echo, hang, status } from './support/test-upstream';

type Data = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The wire contract of docs/mqtt-api.md, against test upstreams that record what the
 * gateway sends them, plus the real payment-service for idempotency.
 */
describe('MQTT wire contract', () => {
  let stack: Stack;
  let client: MqttRequester;
  let auth: string;
  let users: TestUpstream;
  let orders: TestUpstream;
  let notifications: TestUpstream;
  let payable: TestUpstream;

  beforeAll(async () => {
    users = await TestUpstream.start(echo);
    orders = await TestUpstream.start(hang);
    notifications = await TestUpstream.start(status(500, { message: 'database on fire' }));
    // What the payment service asks for the order it charges: any order is the caller's.
    payable = await TestUpstream.start((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          order_id: decodeURIComponent(req.url.split('/').pop() ?? ''),
          user_id: req.headers['x-user-id'],
          total: 12.5,
          currency: 'USD',
          status: 'pending',
        }),
      );
    });
    stack = await Stack.start({
      name: 'contract',
      services: [],
      gatewayEnv: {
        UPSTREAM_TIMEOUT_MS: '1500',
        // The NestJS form's reply topics, allowed on purpose next to the reply space.
        REPLY_TOPIC_PATTERN: 'replies/#,api/v1/users/get/+/reply,gateway/services/reply',
        FORWARD_HEADERS: 'x-tenant',
        SERVICES: [
          `user-service=${users.url}`,
          `user-service-v2=${users.url}`,
          `order-service=${orders.url}`,
          `notification-service=${notifications.url}`,
        ].join(','),
      },
    });
    await stack.startService('payment-service', { ORDER_SERVICE_URL: payable.url });
    client = await stack.requester();
    auth = await stack.bearer('alice', ['admin']);
  });
  afterAll(async () => {
    await stack?.stop();
    await Promise.all([users, orders, notifications, payable].map((u) => u?.stop()));
  });

  const last = () => users.requests[users.requests.length - 1];

  describe('upstream headers', () => {
    it('sends identity only from the verified token, and drops spoofed and proxy headers', async () => {
      const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
      const reply = await client.request<SuccessReply<Data>>(
        'api/v1/users/get/42',
        {},
        {
          headers: {
            authorization: auth,
            'x-user-id': 'mallory',
            'X-User-Scopes': 'root',
            'x-forwarded-for': '10.0.0.1',
            'x-gateway-service': 'evil',
            'x-request-id': 'chosen-by-client',
            'x-api-key': 'mqgw_000000000000_' + 'k'.repeat(43),
            'x-tenant': 'acme',
            'x-client-version': '7',
            'x-http-method-override': 'DELETE',
            'x-original-url': '/admin',
            'x-real-ip': '10.0.0.9',
            x_user_id: 'mallory',
            traceparent,
          },
        },
      );
      expect(reply.body.status).toBe('success');
      const { headers } = last();
      expect(headers['x-user-id']).toBe('alice');
      expect(headers['x-user-scopes']).toBe('admin');
      expect(headers['x-request-id']).toBe(reply.body.request_id);
      expect(headers['x-gateway-service']).toBe('user-service');
      expect(headers['x-tenant']).toBe('acme');
      expect(headers['traceparent']).toBe(traceparent);
      expect(headers['x-forwarded-for']).toBeUndefined();
      expect(headers['x-api-key']).toBeUndefined();
      expect(headers['authorization']).toBeUndefined();
      // Only what FORWARD_HEADERS allows passes: here x-tenant, not the default x-client-*.
      for (const name of [
        'x-client-version',
        'x-http-method-override',
        'x-original-url',
        'x-real-ip',
        'x_user_id',
      ]) {
        expect([name, headers[name]]).toEqual([name, undefined]);
      }
    });

    it('sends the idempotency key upstream scoped to the principal, never as the client wrote it', async () => {
      const key = `scoped-${Date.now()}`;
      await client.request(
        'api/v1/users/update/7',
        { name: 'A' },
        {
          headers: { authorization: auth, 'idempotency-key': key },
        },
      );
      const expected = createHash('sha256').update(`user:alice\n${key}`).digest('hex');
      expect(last().headers['idempotency-key']).toBe(expected);
      await client.request('api/v1/users/get/7', {}, { headers: { authorization: auth } });
      expect(last().headers['idempotency-key']).toBeUndefined();
    });

    // Mosquitto itself disconnects a client that sends control characters in a string,
    // so CR/LF in a header value is covered by the transport's unit tests (inbound.spec.ts).
    it('rejects a repeated header', async () => {
      const repeated = await client.request<ErrorReply>(
        'api/v1/users/list',
        {},
        {
          headers: { authorization: [auth, auth] },
        },
      );
      expect(repeated.body.error).toEqual({
        code: 'BAD_REQUEST',
        message: 'user property authorization is repeated',
      });
    });
  });

  describe('path parameters', () => {
    it.each([
      ['%2E%2E', '/users/%252E%252E'],
      ['a?b=c', '/users/a%3Fb%3Dc'],
      ['%2F..%2Fadmin', '/users/%252F..%252Fadmin'],
      ['ünï', '/users/%C3%BCn%C3%AF'],
    ])('%s reaches the upstream as one segment: %s', async (param, path) => {
      const reply = await client.request(
        `api/v1/users/get/${param}`,
        {},
        { headers: { authorization: auth } },
      );
      expect(reply.body['status']).toBe('success');
      expect(last().url).toBe(path);
    });

    // A NUL in a topic never gets past the broker; routes.spec.ts covers control characters.
    it.each(['..', '.'])('%p is BAD_REQUEST and never reaches the upstream', async (param) => {
      const before = users.requests.length;
      const reply = await client.request<ErrorReply>(
        `api/v1/users/get/${param}`,
        {},
        { headers: { authorization: auth } },
      );
      expect(reply.body.error.code).toBe('BAD_REQUEST');
      expect(users.requests.length).toBe(before);
    });
  });

  it('transforms api/v2 payloads and forwards no client headers there', async () => {
    await client.request(
      'api/v2/users/create',
      { user_data: { name: 'N' }, query: 'q' },
      {
        headers: { authorization: auth, 'x-tenant': 'acme' },
      },
    );
    expect(last().url).toBe('/v2/users/create');
    expect(JSON.parse(last().body)).toEqual({
      user: { name: 'N' },
      query: 'q',
      api_version: 'v2',
      action: 'create',
    });
    expect(last().headers['x-tenant']).toBeUndefined();
  });

  describe('upstream failures', () => {
    it('GATEWAY_TIMEOUT after the timeout, and the upstream call is aborted', async () => {
      const started = Date.now();
      const reply = await client.request<ErrorReply>(
        'api/v1/orders/get/1',
        {},
        { headers: { authorization: auth } },
      );
      expect(reply.body).toMatchObject({
        status_code: 504,
        error: { code: 'GATEWAY_TIMEOUT', message: 'order-service did not answer within 1500 ms' },
      });
      expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
      await sleep(100);
      expect(orders.pending).toBe(0);
    });

    it('UPSTREAM_ERROR for a 5xx, without the upstream body', async () => {
      const reply = await client.request<ErrorReply>(
        'api/v1/notifications/send',
        { recipient: 'r', channel: 'sms', message: 'm' },
        {
          headers: { authorization: auth },
        },
      );
      expect(reply.body).toEqual({
        status: 'error',
        status_code: 502,
        error: {
          code: 'UPSTREAM_ERROR',
          message: 'notification-service failed with status 500',
          details: { upstream_status: 500 },
        },
        request_id: expect.any(String),
      });
      expect(JSON.stringify(reply.body)).not.toContain('database on fire');
    });
  });

  describe('idempotency', () => {
    // The order service's stand-in makes every order the caller's, worth 12.5 USD.
    const payment = { order_id: 'o-1', amount: 12.5 };

    it('executes payments/process once per key and gives duplicates the same reply', async () => {
      const headers = { authorization: auth, 'idempotency-key': `pay-${Date.now()}` };
      const first = await client.request<SuccessReply<Data>>('api/v1/payments/process', payment, {
        headers,
        qos: 2,
      });
      const second = await client.request<SuccessReply<Data>>('api/v1/payments/process', payment, {
        headers,
        qos: 2,
      });
      expect(first.body.status).toBe('success');
      expect(second.body).toEqual(first.body);
      const status = await client.request<SuccessReply<Data>>(
        `api/v1/payments/status/${first.body.data.payment_id}`,
        {},
        { headers: { authorization: auth } },
      );
      expect(status.body.data.payment_id).toBe(first.body.data.payment_id);
    });

    it('makes concurrent duplicates wait for the first and share its payment', async () => {
      const headers = { authorization: auth, 'idempotency-key': `burst-${Date.now()}` };
      const replies = await Promise.all(
        Array.from({ length: 6 }, () =>
          client.request<SuccessReply<Data>>('api/v1/payments/process', payment, { headers }),
        ),
      );
      const paymentIds = new Set(replies.map((r) => r.body.data.payment_id));
      expect(paymentIds.size).toBe(1);
      expect(new Set(replies.map((r) => JSON.stringify(r.body))).size).toBe(1);
    });

    it('refuses a key reused for a different request, and keeps principals apart', async () => {
      const key = `reuse-${Date.now()}`;
      const first = await client.request<SuccessReply<Data>>('api/v1/payments/process', payment, {
        headers: { authorization: auth, 'idempotency-key': key },
      });
      const other = await client.request<ErrorReply>(
        'api/v1/payments/process',
        { ...payment, amount: 99 },
        {
          headers: { authorization: auth, 'idempotency-key': key },
        },
      );
      expect(other.body).toMatchObject({
        status_code: 422,
        error: { code: 'UNPROCESSABLE_ENTITY' },
      });
      const bob = await client.request<SuccessReply<Data>>('api/v1/payments/process', payment, {
        headers: { authorization: await stack.bearer('bob'), 'idempotency-key': key },
      });
      expect(bob.body.data.payment_id).not.toBe(first.body.data.payment_id);
    });
  });

  describe('reply topics', () => {
    it('executes a request without responseTopic and publishes nothing', async () => {
      const watcher = await mqtt.connectAsync(stack.mqttUrl, {
        protocolVersion: 5,
        clientId: `${stack.prefix}watch`.slice(0, 60),
      });
      const seen: string[] = [];
      watcher.on('message', (topic) => seen.push(topic));
      await watcher.subscribeAsync('#');
      const before = users.requests.length;
      await client.publish(
        'api/v1/users/create',
        { name: 'fire', email: 'f@x.io' },
        { responseTopic: null, headers: { authorization: auth } },
      );
      for (let i = 0; i < 50 && users.requests.length === before; i++) await sleep(20);
      await sleep(200);
      await watcher.endAsync();
      expect(users.requests.length).toBe(before + 1);
      expect(JSON.parse(last().body)).toEqual({ name: 'fire', email: 'f@x.io' });
      expect(seen).toEqual(['api/v1/users/create']);
    });

    // Brokers refuse wildcard response topics themselves (MQTT 5, 3.3.2.3.5), so those
    // cases are covered by reply-topic.policy.spec.ts.
    it.each(['api/v1/users/create', 'gateway/health', 'api/v9/anything', '$SYS/broker/x'])(
      'drops a request whose responseTopic is %p, unexecuted and unanswered',
      async (responseTopic) => {
        const before = users.requests.length;
        const droppedBefore = Number(
          await stack.redis.redis.hget(`${stack.prefix}metrics:gateway`, 'dropped_requests'),
        );
        await client.publish(
          'api/v1/users/list',
          {},
          { responseTopic, headers: { authorization: auth } },
        );
        const reply = client.request('gateway/health', {}); // an answered request after it proves it was handled
        await reply;
        await sleep(150);
        expect(users.requests.length).toBe(before);
        const dropped = Number(
          await stack.redis.redis.hget(`${stack.prefix}metrics:gateway`, 'dropped_requests'),
        );
        expect(dropped).toBe(droppedBefore + 1);
      },
    );
  });

  describe('NestJS and MQTT 3.1.1 clients', () => {
    let nest: ClientProxy;
    beforeAll(async () => {
      nest = ClientProxyFactory.create({
        transport: Transport.MQTT,
        options: { url: stack.mqttUrl, protocolVersion: 5 },
      });
      await nest.connect();
    });
    afterAll(() => nest.close());

    it('answers ClientMqtt.send with the same envelope, headers from MqttRecordBuilder', async () => {
      const record = new MqttRecordBuilder({ a: 1 })
        .setProperties({ userProperties: { authorization: auth } })
        .build();
      const reply = await lastValueFrom(
        nest.send<SuccessReply<Data>>('api/v1/users/get/7', record),
      );
      expect(reply).toMatchObject({
        status: 'success',
        service: 'user-service',
        data: { url: '/users/7' },
      });
      const denied = await lastValueFrom(nest.send<ErrorReply>('api/v1/users/get/7', {}));
      expect(denied).toMatchObject({
        status: 'error',
        status_code: 401,
        error: { code: 'UNAUTHORIZED' },
      });
    });

    it('serves an MQTT 3.1.1 client in the {pattern, data, id} form on <topic>/reply', async () => {
      const v311 = await mqtt.connectAsync(stack.mqttUrl, {
        protocolVersion: 4,
        clientId: `${stack.prefix}v311`.slice(0, 60),
      });
      let packet: Data;
      try {
        await v311.subscribeAsync('gateway/services/reply', { qos: 1 });
        const got = new Promise<Data>((resolve) =>
          v311.once('message', (_t, payload) => resolve(JSON.parse(payload.toString()))),
        );
        await v311.publishAsync(
          'gateway/services',
          JSON.stringify({ pattern: 'gateway/services', data: {}, id: 'abc' }),
          { qos: 1 },
        );
        packet = await got;
      } finally {
        await v311.endAsync(true);
      }
      expect(packet).toMatchObject({
        id: 'abc',
        isDisposed: true,
        response: { status: 'success', count: expect.any(Number) },
      });
    });
  });
});

describe('bounded in-flight requests and the reply namespace', () => {
  let stack: Stack;
  let upstream: TestUpstream;

  beforeAll(async () => {
    upstream = await TestUpstream.start(hang);
    stack = await Stack.start({
      name: 'inflight',
      noServices: true,
      gatewayEnv: {
        MAX_INFLIGHT: '2',
        UPSTREAM_TIMEOUT_MS: '2000',
        REPLY_TOPIC_PATTERN: 'replies/#',
        SERVICES: `order-service=${upstream.url}`,
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await upstream?.stop();
  });

  it('answers SERVICE_UNAVAILABLE at once past MAX_INFLIGHT', async () => {
    const client = await stack.requester();
    const headers = { authorization: await stack.bearer('u') };
    const started = Date.now();
    const pending = Array.from({ length: 5 }, (_, i) =>
      client
        .request<ErrorReply>(`api/v1/orders/get/${i}`, {}, { headers })
        .then((r) => ({ ...r.body, at: Date.now() - started })),
    );
    const replies = await Promise.all(pending);
    const overloaded = replies.filter((r) => r.error.code === 'SERVICE_UNAVAILABLE');
    const timedOut = replies.filter((r) => r.error.code === 'GATEWAY_TIMEOUT');
    expect(overloaded).toHaveLength(3);
    expect(timedOut).toHaveLength(2);
    expect(overloaded.every((r) => r.at < 1500 && r.error.retry_after === 1)).toBe(true);
    expect(upstream.requests).toHaveLength(2);
  });

  it('drops a reply topic outside REPLY_TOPIC_PATTERN', async () => {
    const client = await stack.requester();
    const before = upstream.requests.length;
    await client.publish(
      'api/v1/orders/get/9',
      {},
      { responseTopic: 'elsewhere/x', headers: { authorization: await stack.bearer('u') } },
    );
    await client.request('gateway/health');
    await sleep(100);
    expect(upstream.requests.length).toBe(before);
  });
});
