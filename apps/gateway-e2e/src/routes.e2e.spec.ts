import type { ErrorReply, SuccessReply } from '@mqgw/contracts';
import type { MqttRequester } from '@mqgw/testing';
import { Stack } from './support/stack';

type Data = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Every route of the table, through real Mosquitto, Redis and the four services. */
describe('every route, end to end', () => {
  let stack: Stack;
  let client: MqttRequester;
  let user: string;
  let admin: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    stack = await Stack.start({
      name: 'routes',
      gatewayEnv: { ALLOWED_ORIGINS: 'https://app.example', MAX_PAYLOAD_BYTES: '4096' },
    });
    client = await stack.requester();
    user = await stack.bearer('user-1');
    admin = await stack.bearer('admin-1', ['admin', 'payments:refund']);
  });
  afterAll(() => stack?.stop());

  async function ok(
    topic: string,
    body: unknown = {},
    auth = user,
    qos: 0 | 1 | 2 = 1,
  ): Promise<SuccessReply<Data>> {
    const reply = await client.request<SuccessReply<Data>>(topic, body, {
      qos,
      headers: { authorization: auth },
    });
    expect(reply.body).toMatchObject({ status: 'success' });
    return reply.body;
  }

  async function fail(
    topic: string,
    body: unknown = {},
    headers: Record<string, string> = { authorization: user },
    raw?: string,
  ) {
    const reply = await client.request<ErrorReply>(topic, body, { headers, raw });
    expect(reply.body.status).toBe('error');
    expect(reply.body.request_id).toMatch(/^[0-9a-f-]{36}$/);
    return reply.body;
  }

  describe('successes', () => {
    it('users: create, get, update, list', async () => {
      const created = await ok(
        'api/v1/users/create',
        { name: 'Grace', email: 'grace@example.com' },
        user,
        2,
      );
      expect(created.service).toBe('user-service');
      // A profile is its owner's: the id is the verified token subject.
      expect(created.data).toMatchObject({ user_id: 'user-1', role: 'user' });
      ids['user'] = created.data.user_id;
      expect((await ok(`api/v1/users/get/${ids['user']}`)).data.name).toBe('Grace');
      expect(
        (await ok(`api/v1/users/update/${ids['user']}`, { name: 'Grace H.' }, user, 2)).data.name,
      ).toBe('Grace H.');
      expect((await ok('api/v1/users/list')).data.count).toBe(1);
    });

    it('orders: create, get, update, list, cancel', async () => {
      const created = await ok(
        'api/v1/orders/create',
        { items: [{ sku: 'sku-1', quantity: 3 }] },
        user,
        2,
      );
      // Prices and totals come from the service's catalogue, the owner from the token.
      expect(created).toMatchObject({
        service: 'order-service',
        data: { user_id: 'user-1', total: 7.5, status: 'pending' },
      });
      ids['order'] = created.data.order_id;
      expect((await ok(`api/v1/orders/get/${ids['order']}`)).data.order_id).toBe(ids['order']);
      expect(
        (
          await ok(
            `api/v1/orders/update/${ids['order']}`,
            { items: [{ sku: 'sku-2', quantity: 1 }] },
            user,
            2,
          )
        ).data.total,
      ).toBe(10);
      expect((await ok(`api/v1/orders/list/${ids['user']}`)).data.count).toBe(1);
      expect((await ok(`api/v1/orders/cancel/${ids['order']}`, {}, user, 2)).data.status).toBe(
        'cancelled',
      );
    });

    it('payments: process, status, refund (with the payments:refund scope)', async () => {
      const order = await ok(
        'api/v1/orders/create',
        { items: [{ sku: 'sku-2', quantity: 2 }] },
        user,
        2,
      );
      // The payment charges the order's total; the order is the caller's.
      const paid = await ok('api/v1/payments/process', { order_id: order.data.order_id }, user, 2);
      expect(paid).toMatchObject({ service: 'payment-service', data: { status: 'captured' } });
      ids['payment'] = paid.data.payment_id;
      expect((await ok(`api/v1/payments/status/${ids['payment']}`)).data.amount).toBe(20);
      // The refund route needs the payments:refund scope; an admin may refund any payment.
      expect((await ok(`api/v1/payments/refund/${ids['payment']}`, {}, admin, 2)).data.status).toBe(
        'refunded',
      );
    });

    it('notifications: send and templates', async () => {
      const sent = await ok('api/v1/notifications/send', {
        recipient: 'g@example.com',
        channel: 'email',
        template_id: 'welcome',
        data: { name: 'G' },
      });
      expect(sent).toMatchObject({
        service: 'notification-service',
        data: { status: 'queued', body: 'Hello G, welcome aboard.' },
      });
      expect((await ok('api/v1/notifications/templates/order-confirmation')).data.template_id).toBe(
        'order-confirmation',
      );
    });

    it('api/v2 users: create (legacy user_data renamed), get, update, search', async () => {
      const linus = await stack.bearer('linus');
      const created = await ok(
        'api/v2/users/create',
        { user_data: { name: 'Linus', email: 'linus@example.com' } },
        linus,
      );
      expect(created).toMatchObject({
        service: 'user-service-v2',
        data: { api_version: 'v2', action: 'create', user: { name: 'Linus' } },
      });
      const id = created.data.user.user_id;
      expect((await ok('api/v2/users/get', { user_id: id }, linus)).data.user.email).toBe(
        'linus@example.com',
      );
      expect(
        (await ok('api/v2/users/update', { user_id: id, user: { name: 'L.T.' } }, linus)).data.user
          .name,
      ).toBe('L.T.');
      expect((await ok('api/v2/users/search', { query: 'linus' }, linus)).data).toMatchObject({
        action: 'search',
        count: 1,
      });
    });

    it('api/v2 orders: create, get, cancel', async () => {
      const created = await ok('api/v2/orders/create', {
        order: { items: [{ sku: 'widget', quantity: 1 }] },
      });
      expect(created).toMatchObject({
        service: 'order-service-v2',
        data: { api_version: 'v2', action: 'create' },
      });
      const id = created.data.order.order_id;
      expect((await ok('api/v2/orders/get', { order_id: id })).data.order.total).toBe(4.99);
      expect((await ok('api/v2/orders/cancel', { order_id: id })).data.order.status).toBe(
        'cancelled',
      );
    });

    it('users/delete with the admin scope answers 204 as data null', async () => {
      const deleted = await ok(`api/v1/users/delete/${ids['user']}`, {}, admin, 2);
      expect(deleted.data).toBeNull();
    });

    it('gateway: health, services and metrics without credentials', async () => {
      const health = (await client.request('gateway/health', {}, { qos: 0 })).body;
      expect(health).toMatchObject({
        status: 'healthy',
        redis: 'healthy',
        version: expect.any(String),
      });
      expect((health['services'] as Data)['user-service']).toBe('healthy');
      const services = (await client.request('gateway/services')).body;
      expect(services).toMatchObject({ status: 'success', count: expect.any(Number) });
      expect((services['services'] as Data[]).find((s) => s['name'] === 'payment-service')).toEqual(
        {
          name: 'payment-service',
          total_instances: 1,
          healthy_instances: 1,
          status: 'healthy',
        },
      );
      const metrics = (await client.request('gateway/metrics')).body as Data;
      expect(metrics['gateway'].total_requests).toBeGreaterThan(0);
      expect(metrics['services']['user-service']).toMatchObject({
        total_requests: expect.any(Number),
        avg_response_time: expect.any(Number),
        error_rate: expect.any(Number),
      });
    });
  });

  describe('errors', () => {
    it('BAD_REQUEST for non-JSON, non-object payloads and bad path parameters', async () => {
      expect(
        (await fail('api/v1/users/create', null, { authorization: user }, 'not json')).error.code,
      ).toBe('BAD_REQUEST');
      expect((await fail('api/v1/users/create', [1, 2])).error).toEqual({
        code: 'BAD_REQUEST',
        message: 'payload must be a JSON object',
      });
      expect((await fail('api/v1/users/get/..')).status_code).toBe(400);
    });

    it('UNAUTHORIZED without or with a bad credential, saying what kind of failure and no more', async () => {
      expect((await fail('api/v1/users/list', {}, {})).error).toEqual({
        code: 'UNAUTHORIZED',
        message: 'missing credentials: send authorization or x-api-key',
      });
      const bad = await fail('api/v1/users/list', {}, { authorization: 'Bearer a.b.c' });
      expect(bad).toMatchObject({
        status_code: 401,
        error: { code: 'UNAUTHORIZED', message: 'malformed token' },
      });
    });

    it('FORBIDDEN for a missing scope and for a disallowed origin', async () => {
      const scope = await fail('api/v1/users/delete/x');
      expect(scope).toMatchObject({
        status_code: 403,
        error: { code: 'FORBIDDEN', message: 'missing required scope: admin' },
      });
      const origin = await fail(
        'api/v1/users/list',
        {},
        { authorization: user, origin: 'https://evil.example' },
      );
      expect(origin.error).toEqual({ code: 'FORBIDDEN', message: 'origin not allowed' });
      expect((await ok('api/v1/users/list')).status).toBe('success');
      const allowed = await client.request<SuccessReply<Data>>(
        'api/v1/users/list',
        {},
        {
          headers: { authorization: user, origin: 'https://app.example' },
        },
      );
      expect(allowed.body.status).toBe('success');
    });

    it('passes upstream 4xx through with the upstream body in details', async () => {
      const missing = await fail('api/v1/users/get/nobody', {}, { authorization: admin });
      expect(missing).toMatchObject({
        status_code: 404,
        error: { code: 'NOT_FOUND', message: 'user nobody not found' },
      });
      expect(missing.error.details).toEqual({
        statusCode: 404,
        error: 'Not Found',
        message: 'user nobody not found',
      });
      const dupe = { authorization: await stack.bearer('dupe') };
      await client.request(
        'api/v1/users/create',
        { name: 'Dup', email: 'dup@example.com' },
        {
          headers: dupe,
        },
      );
      const dup = await fail(
        'api/v1/users/create',
        { name: 'Dup', email: 'dup@example.com' },
        dupe,
      );
      expect(dup).toMatchObject({ status_code: 409, error: { code: 'CONFLICT' } });
      const invalid = await fail(
        'api/v1/users/create',
        { name: 'x' },
        { authorization: await stack.bearer('nomail') },
      );
      // Refused by the route's request schema, before the service.
      expect(invalid).toMatchObject({
        status_code: 400,
        error: {
          code: 'BAD_REQUEST',
          details: { violations: [{ pointer: '/email', message: 'is required' }] },
        },
      });
      const order = await ok('api/v1/orders/create', { items: [{ sku: 'sku-1', quantity: 1 }] });
      const paid = await ok('api/v1/payments/process', { order_id: order.data.order_id });
      const tooMuch = await fail(
        `api/v1/payments/refund/${paid.data.payment_id}`,
        { amount: 5 },
        { authorization: admin },
      );
      expect(tooMuch).toMatchObject({ status_code: 422, error: { code: 'UNPROCESSABLE_ENTITY' } });
    });

    it('PAYLOAD_TOO_LARGE over MAX_PAYLOAD_BYTES', async () => {
      const big = await fail('api/v1/users/create', { name: 'x'.repeat(5000), email: 'a@b.co' });
      expect(big).toMatchObject({
        status_code: 413,
        error: { code: 'PAYLOAD_TOO_LARGE', message: 'payload exceeds 4096 bytes' },
      });
    });

    it('SERVICE_UNAVAILABLE with retry_after when no instance is left', async () => {
      await stack.stopService('notification-service');
      const reply = await fail('api/v1/notifications/templates/welcome');
      expect(reply).toMatchObject({
        status_code: 503,
        error: {
          code: 'SERVICE_UNAVAILABLE',
          message: 'no healthy instance of notification-service',
          retry_after: 5,
        },
      });
      const health = (await client.request('gateway/health')).body as Data;
      expect(health['status']).toBe('degraded');
      expect(health['services']['notification-service']).toBe('unhealthy');
    });
  });
});
