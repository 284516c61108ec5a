import { asCaller, startTestApp } from '@mqgw/service-kit/testing';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { AppModule } from './app.module';
import { CATALOGUE } from './catalogue';

describe('order-service HTTP API', () => {
  let app: INestApplication;

  beforeEach(async () => {
    app = await startTestApp(AppModule);
  });
  afterEach(() => app.close());

  const as = (userId: string, scopes = '') => asCaller(app, userId, scopes);
  const ann = () => as('ann', 'orders:write');
  const bob = () => as('bob');
  const root = () => as('root', 'admin');

  const order = { items: [{ sku: 'sku-1', quantity: 2 }] };
  const place = async (caller = ann(), body: object = order): Promise<string> =>
    (await caller.post('/orders', body).expect(201)).body.order_id as string;

  it('exports a catalogue with the documented prices', () => {
    expect(CATALOGUE).toMatchObject({ 'sku-1': 2.5, 'sku-2': 10, widget: 4.99, gadget: 19.99 });
    expect(Object.isFrozen(CATALOGUE)).toBe(true);
  });

  describe('identity', () => {
    it('answers 401 without X-User-ID on every route but /health', async () => {
      const http = request(app.getHttpServer());
      for (const req of [
        http.post('/orders').send(order),
        http.get('/orders/x'),
        http.put('/orders/x').send({}),
        http.post('/orders/x/cancel'),
        http.get('/users/ann/orders'),
        http.post('/v2/orders/get').send({ order_id: 'x' }),
      ]) {
        expect((await req.expect(401)).body.message).toBe('X-User-ID is required');
      }
      await http.get('/health').expect(200);
    });
  });

  describe('POST /orders', () => {
    it('prices items from the catalogue, for the caller, pending, in USD by default', async () => {
      const created = await ann()
        .post('/orders', {
          items: [
            { sku: 'widget', quantity: 3 },
            { sku: 'sku-2', quantity: 1 },
          ],
        })
        .expect(201);
      expect(created.body).toEqual({
        order_id: expect.stringMatching(/^ord_/),
        user_id: 'ann',
        items: [
          { sku: 'widget', quantity: 3, price: 4.99 },
          { sku: 'sku-2', quantity: 1, price: 10 },
        ],
        total: 24.97,
        currency: 'USD',
        status: 'pending',
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
      const eur = await ann()
        .post('/orders', { ...order, currency: 'EUR' })
        .expect(201);
      expect(eur.body).toMatchObject({ currency: 'EUR', total: 5 });
    });

    it('keeps the total exact and finite at the largest order', async () => {
      const items = Array.from({ length: 100 }, () => ({ sku: 'gadget', quantity: 10_000 }));
      const res = await ann().post('/orders', { items }).expect(201);
      expect(res.body.total).toBe(19_990_000);
      const cents = await ann()
        .post('/orders', { items: [{ sku: 'widget', quantity: 3 }] })
        .expect(201);
      expect(cents.body.total).toBe(14.97);
    });

    it('refuses a client-chosen price, total or status (400)', async () => {
      const free = await ann()
        .post('/orders', { items: [{ sku: 'gadget', quantity: 1, price: 0 }] })
        .expect(400);
      expect(free.body).toEqual({
        statusCode: 400,
        message: ['items.0.property price should not exist'],
        error: 'Bad Request',
      });
      const shipped = await ann()
        .post('/orders', { ...order, status: 'shipped' })
        .expect(400);
      expect(shipped.body.message).toEqual(['property status should not exist']);
      await ann()
        .post('/orders', { ...order, total: 0 })
        .expect(400);
      expect((await ann().get('/users/ann/orders').expect(200)).body.count).toBe(0);
    });

    it('refuses an overflowing, fractional or zero quantity (400)', async () => {
      const huge = await ann()
        .post('/orders', { items: [{ sku: 'sku-1', quantity: 1e308 }] })
        .expect(400);
      expect(huge.body.message).toEqual(['items.0.quantity must not be greater than 10000']);
      await ann()
        .post('/orders', { items: [{ sku: 'sku-1', quantity: 10_001 }] })
        .expect(400);
      await ann()
        .post('/orders', { items: [{ sku: 'sku-1', quantity: 1.5 }] })
        .expect(400);
      const zero = await ann()
        .post('/orders', { items: [{ sku: 'sku-1', quantity: 0 }] })
        .expect(400);
      expect(zero.body.message).toEqual(['items.0.quantity must not be less than 1']);
      await ann()
        .post('/orders', { items: [{ sku: 'sku-1', quantity: '2' }] })
        .expect(400);
    });

    it('refuses no items, more than 100, or a bad currency (400)', async () => {
      await ann().post('/orders', { items: [] }).expect(400);
      await ann().post('/orders', {}).expect(400);
      const many = Array.from({ length: 101 }, () => ({ sku: 'sku-1', quantity: 1 }));
      expect((await ann().post('/orders', { items: many }).expect(400)).body.message).toEqual([
        'items must contain no more than 100 elements',
      ]);
      await ann()
        .post('/orders', { ...order, currency: 'usd' })
        .expect(400);
    });

    it('answers 422 naming an unknown sku', async () => {
      const res = await ann()
        .post('/orders', {
          items: [
            { sku: 'sku-1', quantity: 1 },
            { sku: 'unicorn', quantity: 1 },
          ],
        })
        .expect(422);
      expect(res.body.message).toBe('unknown sku "unicorn"');
      await ann()
        .post('/orders', { items: [{ sku: 'constructor', quantity: 1 }] })
        .expect(422);
    });

    it('lets only an admin order for someone else (403 otherwise)', async () => {
      await ann()
        .post('/orders', { ...order, user_id: 'bob' })
        .expect(403);
      await ann()
        .post('/orders', { ...order, user_id: 'ann' })
        .expect(201);
      const forBob = await root()
        .post('/orders', { ...order, user_id: 'bob' })
        .expect(201);
      expect(forBob.body.user_id).toBe('bob');
      await bob().get(`/orders/${forBob.body.order_id}`).expect(200);
    });
  });

  describe('one order', () => {
    it('answers 404 to anyone but the owner or an admin, like a missing order', async () => {
      const id = await place();
      await ann().get(`/orders/${id}`).expect(200);
      await root().get(`/orders/${id}`).expect(200);
      const hidden = await bob().get(`/orders/${id}`).expect(404);
      expect(hidden.body.message).toBe(`order ${id} not found`);
      await bob()
        .put(`/orders/${id}`, { items: [{ sku: 'sku-1', quantity: 99 }] })
        .expect(404);
      await bob().post(`/orders/${id}/cancel`).expect(404);
      expect((await ann().get(`/orders/${id}`).expect(200)).body).toMatchObject({
        status: 'pending',
        total: 5,
      });
      await ann().get('/orders/missing').expect(404);
    });

    it('changes the items of a pending order, repriced; never its status', async () => {
      const id = await place();
      const updated = await ann()
        .put(`/orders/${id}`, { items: [{ sku: 'sku-2', quantity: 3 }] })
        .expect(200);
      expect(updated.body).toMatchObject({
        items: [{ sku: 'sku-2', quantity: 3, price: 10 }],
        total: 30,
        status: 'pending',
      });
      expect(
        (await ann().put(`/orders/${id}`, { status: 'shipped' }).expect(400)).body.message,
      ).toEqual(['property status should not exist']);
      await ann()
        .put(`/orders/${id}`, { items: [{ sku: 'sku-2', quantity: 1, price: 0 }] })
        .expect(400);
      await ann()
        .put(`/orders/${id}`, { items: [{ sku: 'nope', quantity: 1 }] })
        .expect(422);
      expect((await ann().get(`/orders/${id}`).expect(200)).body.total).toBe(30);
    });

    it('cancels once; a cancelled order no longer changes (409)', async () => {
      const id = await place();
      expect((await ann().post(`/orders/${id}/cancel`).expect(200)).body.status).toBe('cancelled');
      await ann().post(`/orders/${id}/cancel`).expect(409);
      await ann().put(`/orders/${id}`, order).expect(409);
      const other = await place(bob());
      expect((await root().post(`/orders/${other}/cancel`).expect(200)).body.status).toBe(
        'cancelled',
      );
    });
  });

  describe('GET /users/:userId/orders', () => {
    it('lists a user their own orders, an admin anyone, and is 403 for others', async () => {
      await place();
      await place();
      await place(bob());
      const own = await ann().get('/users/ann/orders').expect(200);
      expect(own.body).toMatchObject({ user_id: 'ann', count: 2 });
      expect((await root().get('/users/bob/orders').expect(200)).body.count).toBe(1);
      await bob().get('/users/ann/orders').expect(403);
    });
  });

  describe('API v2', () => {
    it('serves create, get and cancel, echoing api_version and action', async () => {
      const created = await ann()
        .post('/v2/orders/create', { api_version: 'v2', action: 'create', ...order })
        .expect(200);
      expect(created.body).toMatchObject({
        api_version: 'v2',
        action: 'create',
        order: { user_id: 'ann', total: 5, status: 'pending' },
      });
      const nested = await ann()
        .post('/v2/orders/create', { api_version: 'v2', action: 'create', order })
        .expect(200);
      expect(nested.body.order.total).toBe(5);
      const id = created.body.order.order_id as string;
      const got = await ann()
        .post('/v2/orders/get', { api_version: 'v2', action: 'get', order_id: id })
        .expect(200);
      expect(got.body).toMatchObject({ api_version: 'v2', action: 'get', order: { order_id: id } });
      const cancelled = await ann().post('/v2/orders/cancel', { order_id: id }).expect(200);
      expect(cancelled.body).toMatchObject({
        api_version: null,
        action: null,
        order: { status: 'cancelled' },
      });
    });

    it('applies the v1 rules and answers 400/404 to bad requests', async () => {
      const id = await place();
      await bob().post('/v2/orders/get', { order_id: id }).expect(404);
      await bob().post('/v2/orders/cancel', { order_id: id }).expect(404);
      await ann()
        .post('/v2/orders/create', { items: [{ sku: 'sku-1', quantity: 1, price: 0 }] })
        .expect(400);
      await ann()
        .post('/v2/orders/create', { order: { ...order, status: 'shipped' } })
        .expect(400);
      await ann()
        .post('/v2/orders/create', { ...order, order })
        .expect(400);
      await ann()
        .post('/v2/orders/create', { ...order, user_id: 'bob' })
        .expect(403);
      await ann().post('/v2/orders/create', {}).expect(400);
      await ann().post('/v2/orders/create', { order: null }).expect(400);
      await ann()
        .post('/v2/orders/create', { order: [order] })
        .expect(400);
      await ann().post('/v2/orders/get', {}).expect(400);
      await ann().post('/v2/orders/nope', {}).expect(404);
    });
  });
});
