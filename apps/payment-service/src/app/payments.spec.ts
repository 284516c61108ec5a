import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { asCaller, startTestApp } from '@mqgw/service-kit/testing';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { AppModule } from './app.module';
import type { PayableOrder } from './orders.client';

/**
 * A real HTTP server standing in for the order service, with its rule: an order is
 * answered to its owner and to admins, and is a 404 to anyone else.
 */
class OrderService {
  readonly orders = new Map<string, PayableOrder>();
  private next = 0;
  private constructor(private readonly server: Server) {}

  static async start(): Promise<OrderService> {
    const service: OrderService = new OrderService(
      createServer((req, res) => {
        const id = decodeURIComponent(req.url?.match(/^\/orders\/([^/]+)$/)?.[1] ?? '');
        const order = service.orders.get(id);
        const caller = req.headers['x-user-id'];
        const admin = String(req.headers['x-user-scopes'] ?? '')
          .split(' ')
          .includes('admin');
        res.setHeader('content-type', 'application/json');
        if (id === 'broken') res.statusCode = 500;
        else if (!order || (order.user_id !== caller && !admin)) res.statusCode = 404;
        res.end(JSON.stringify(res.statusCode === 200 ? order : { message: 'not found' }));
      }),
    );
    await new Promise<void>((resolve) => service.server.listen(0, '127.0.0.1', resolve));
    return service;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** A pending order of `userId` worth `total`, and its id. */
  add(userId: string, total: number, currency = 'EUR', status = 'pending'): string {
    const order_id = `ord_${++this.next}`;
    this.orders.set(order_id, { order_id, user_id: userId, total, currency, status });
    return order_id;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

let orders: OrderService;
beforeAll(async () => {
  orders = await OrderService.start();
});
afterAll(() => orders.stop());

describe('payment-service HTTP API', () => {
  let app: INestApplication;

  beforeEach(async () => {
    app = await startTestApp(AppModule.forRoot({ orderServiceUrl: orders.url }));
  });
  afterEach(() => app.close());

  const as = (userId: string, scopes = '') => asCaller(app, userId, scopes);
  const ann = () => as('ann', 'payments:refund');
  const bob = () => as('bob', 'payments:refund');
  const root = () => as('root', 'admin');

  const pay = (orderId: string) => ({ order_id: orderId });

  it('answers 401 without X-User-ID on every route but /health', async () => {
    const http = request(app.getHttpServer());
    for (const req of [
      http.post('/payments').send(pay('o1')),
      http.get('/payments'),
      http.get('/payments/x'),
      http.post('/payments/x/refund').send({}),
    ]) {
      expect((await req.expect(401)).body).toEqual({
        statusCode: 401,
        message: 'X-User-ID is required',
        error: 'Unauthorized',
      });
    }
    await http.get('/health').expect(200);
  });

  it("charges the order's total in its currency, then partially and fully refunds it", async () => {
    const order = orders.add('ann', 10, 'EUR');
    const paid = await ann().post('/payments', pay(order)).expect(201);
    const id = paid.body.payment_id as string;
    expect(paid.body).toEqual({
      payment_id: expect.stringMatching(/^pay_/),
      user_id: 'ann',
      order_id: order,
      amount: 10,
      currency: 'EUR',
      method: 'card',
      status: 'captured',
      refunded_amount: 0,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expect(
      (await ann().post(`/payments/${id}/refund`, { amount: 4 }).expect(200)).body.status,
    ).toBe('partially_refunded');
    await ann().post(`/payments/${id}/refund`, { amount: 7 }).expect(422);
    expect((await ann().post(`/payments/${id}/refund`).expect(200)).body.refunded_amount).toBe(10);
    await ann().post(`/payments/${id}/refund`).expect(409);
    expect((await ann().get(`/payments/${id}`).expect(200)).body.status).toBe('refunded');
  });

  it("refuses to pay another user's order, as if it did not exist; an admin may", async () => {
    // Issue 23: eve paid 0.01 USD for an order worth 2.5 that someone else owned.
    const order = orders.add('ann', 2.5, 'USD');
    const eve = as('eve');
    for (const body of [pay(order), { ...pay(order), amount: 0.01, currency: 'USD' }]) {
      const refused = await eve.post('/payments', body).expect(404);
      expect(refused.body.message).toBe(`order ${order} not found`);
    }
    await eve.post('/payments', pay('ord_missing')).expect(404);
    expect((await root().get(`/payments?order_id=${order}`).expect(200)).body).toEqual([]);
    const byAdmin = await root().post('/payments', pay(order)).expect(201);
    expect(byAdmin.body).toMatchObject({ amount: 2.5, currency: 'USD', user_id: 'root' });
  });

  it('never charges an amount or currency the client chose', async () => {
    const order = orders.add('ann', 2.5, 'USD');
    for (const [body, message] of [
      [{ amount: 0.01 }, "amount 0.01 is not the order's total 2.5"],
      [{ currency: 'EUR' }, "currency EUR is not the order's currency USD"],
    ] as const) {
      const res = await ann()
        .post('/payments', { ...pay(order), ...body })
        .expect(422);
      expect(res.body.message).toBe(message);
    }
    // The client may say what it expects to pay; it pays the total either way.
    const exact = await ann()
      .post('/payments', { ...pay(order), amount: 2.5, currency: 'USD' })
      .expect(201);
    expect(exact.body).toMatchObject({ amount: 2.5, currency: 'USD' });
  });

  it('refuses a cancelled order, and answers 503 when the order service fails', async () => {
    await ann()
      .post('/payments', pay(orders.add('ann', 5, 'EUR', 'cancelled')))
      .expect(409);
    await ann().post('/payments', pay('broken')).expect(503);
  });

  it('takes the method from the allowed list', async () => {
    const order = orders.add('ann', 5);
    expect(
      (
        await ann()
          .post('/payments', { ...pay(order), method: 'wallet' })
          .expect(201)
      ).body.method,
    ).toBe('wallet');
    await ann()
      .post('/payments', { ...pay(order), method: 'cash' })
      .expect(400);
  });

  it('rejects bad amounts and currencies with one message per problem', async () => {
    const res = await ann()
      .post('/payments', { order_id: 'o', amount: -1, currency: 'euro' })
      .expect(400);
    expect(res.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: [
        'amount must not be less than 0.01',
        'currency must be a three-letter code such as EUR',
      ],
    });
    for (const amount of [0, 1e308, 1_000_000.01, 1.234, '5']) {
      await ann()
        .post('/payments', { ...pay('o'), amount })
        .expect(400);
    }
    const id = (
      await ann()
        .post('/payments', pay(orders.add('ann', 5)))
        .expect(201)
    ).body.payment_id as string;
    for (const amount of [0, -1, 0.001, 1e308]) {
      await ann().post(`/payments/${id}/refund`, { amount }).expect(400);
    }
  });

  it('refuses status, refunded_amount and user_id from the body (400)', async () => {
    const order = orders.add('ann', 5);
    for (const extra of [{ status: 'refunded' }, { refunded_amount: 5 }, { user_id: 'bob' }]) {
      const res = await ann()
        .post('/payments', { ...pay(order), ...extra })
        .expect(400);
      expect(res.body.message).toEqual([`property ${Object.keys(extra)[0]} should not exist`]);
    }
    expect((await ann().get('/payments').expect(200)).body).toEqual([]);
  });

  it("answers 404 to another user's payment, like a missing one; an admin sees it", async () => {
    const id = (
      await ann()
        .post('/payments', pay(orders.add('ann', 10)))
        .expect(201)
    ).body.payment_id;
    const hidden = await bob().get(`/payments/${id}`).expect(404);
    expect(hidden.body.message).toBe(`payment ${id} not found`);
    await bob().post(`/payments/${id}/refund`, { amount: 1 }).expect(404);
    await bob().get('/payments/nope').expect(404);
    expect((await ann().get(`/payments/${id}`).expect(200)).body.refunded_amount).toBe(0);
    expect((await root().get(`/payments/${id}`).expect(200)).body.user_id).toBe('ann');
    expect(
      (await root().post(`/payments/${id}/refund`, { amount: 2 }).expect(200)).body.refunded_amount,
    ).toBe(2);
  });

  it("lists the caller's own payments (an admin's: everyone's), by order_id", async () => {
    const [a1, a2, b1] = [orders.add('ann', 5), orders.add('ann', 5), orders.add('bob', 5)];
    await ann().post('/payments', pay(a1)).expect(201);
    await ann().post('/payments', pay(a2)).expect(201);
    await bob().post('/payments', pay(b1)).expect(201);
    const ids = (res: request.Response) =>
      (res.body as { user_id: string; order_id: string }[]).map(
        (p) => `${p.user_id}/${p.order_id}`,
      );
    expect(ids(await ann().get('/payments').expect(200))).toEqual([`ann/${a1}`, `ann/${a2}`]);
    expect(ids(await ann().get(`/payments?order_id=${a1}`).expect(200))).toEqual([`ann/${a1}`]);
    expect(ids(await bob().get(`/payments?order_id=${a2}`).expect(200))).toEqual([]);
    expect(ids(await root().get(`/payments?order_id=${b1}`).expect(200))).toEqual([`bob/${b1}`]);
    expect(ids(await root().get('/payments').expect(200))).toHaveLength(3);
    await ann().get('/payments?order_id=o1&order_id=o2').expect(400);
    await ann().get('/payments?status=captured').expect(400);
  });
});

describe('payment-service Idempotency-Key', () => {
  let app: INestApplication;
  beforeEach(async () => {
    app = await startTestApp(AppModule.forRoot({ orderServiceUrl: orders.url }));
  });
  afterEach(() => app.close());

  const pay = (orderId: string) => ({ order_id: orderId });
  const post = (key: string | undefined, body: object, userId = 'ann') => {
    const req = request(app.getHttpServer()).post('/payments').set('x-user-id', userId);
    return (key ? req.set('idempotency-key', key) : req).send(body);
  };
  const count = async (orderId: string, userId = 'root') =>
    (
      await request(app.getHttpServer())
        .get(`/payments?order_id=${orderId}`)
        .set('x-user-id', userId)
        .set('x-user-scopes', 'admin')
        .expect(200)
    ).body.length as number;

  it('captures once per key: a retry gets the first payment with its status code', async () => {
    const order = orders.add('ann', 5);
    const first = await post('k1', pay(order));
    const again = await post('k1', pay(order));
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.payment_id).toBe(first.body.payment_id);
    await post('k2', pay(order)).expect(201);
    await post(undefined, pay(order)).expect(201);
    expect(await count(order)).toBe(3);
  });

  it("never replays one user's payment to another user with the same key", async () => {
    const [annOrder, bobOrder] = [orders.add('ann', 5), orders.add('bob', 5)];
    const ann = await post('k1', pay(annOrder), 'ann').expect(201);
    const bob = await post('k1', pay(bobOrder), 'bob').expect(201);
    expect(bob.body.payment_id).not.toBe(ann.body.payment_id);
    expect(bob.body.user_id).toBe('bob');
    expect((await count(annOrder)) + (await count(bobOrder))).toBe(2);
  });

  it('makes concurrent duplicates share one execution', async () => {
    const order = orders.add('ann', 5);
    const replies = await Promise.all(Array.from({ length: 10 }, () => post('same', pay(order))));
    expect(new Set(replies.map((r) => r.body.payment_id)).size).toBe(1);
    expect(await count(order)).toBe(1);
  });

  it('forgets a failed call, so a corrected retry with the same key runs', async () => {
    const order = orders.add('ann', 5);
    await post('k3', { ...pay(order), amount: -1 }).expect(400);
    await post('k3', pay(order)).expect(201);
    expect(await count(order)).toBe(1);
  });
});
