import { asCaller, startTestApp } from '@mqgw/service-kit/testing';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { AppModule } from './app.module';

describe('payment-service HTTP API', () => {
  let app: INestApplication;

  beforeEach(async () => {
    app = await startTestApp(AppModule);
  });
  afterEach(() => app.close());

  const as = (userId: string, scopes = '') => asCaller(app, userId, scopes);
  const ann = () => as('ann', 'payments:refund');
  const bob = () => as('bob', 'payments:refund');
  const root = () => as('root', 'admin');

  const pay = (orderId: string, amount = 5) => ({ order_id: orderId, amount, currency: 'EUR' });

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

  it('captures, partially refunds, then fully refunds a payment', async () => {
    const paid = await ann().post('/payments', pay('o1', 10)).expect(201);
    const id = paid.body.payment_id as string;
    expect(paid.body).toEqual({
      payment_id: expect.stringMatching(/^pay_/),
      user_id: 'ann',
      order_id: 'o1',
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

  it('takes the method from the allowed list', async () => {
    expect(
      (
        await ann()
          .post('/payments', { ...pay('o1'), method: 'wallet' })
          .expect(201)
      ).body.method,
    ).toBe('wallet');
    await ann()
      .post('/payments', { ...pay('o1'), method: 'cash' })
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
    for (const amount of [0, 1e308, 1_000_000.01, 1.234, '5', null]) {
      await ann()
        .post('/payments', { ...pay('o'), amount })
        .expect(400);
    }
    await ann()
      .post('/payments', { ...pay('o'), amount: 1_000_000 })
      .expect(201);
    await ann()
      .post('/payments', { ...pay('o'), amount: 0.01 })
      .expect(201);
    const id = (await ann().post('/payments', pay('o')).expect(201)).body.payment_id as string;
    for (const amount of [0, -1, 0.001, 1e308]) {
      await ann().post(`/payments/${id}/refund`, { amount }).expect(400);
    }
  });

  it('refuses status, refunded_amount and user_id from the body (400)', async () => {
    for (const extra of [{ status: 'refunded' }, { refunded_amount: 5 }, { user_id: 'bob' }]) {
      const res = await ann()
        .post('/payments', { ...pay('o1'), ...extra })
        .expect(400);
      expect(res.body.message).toEqual([`property ${Object.keys(extra)[0]} should not exist`]);
    }
    expect((await ann().get('/payments').expect(200)).body).toEqual([]);
  });

  it("answers 404 to another user's payment, like a missing one; an admin sees it", async () => {
    const id = (await ann().post('/payments', pay('o1', 10)).expect(201)).body.payment_id;
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
    await ann().post('/payments', pay('o1')).expect(201);
    await ann().post('/payments', pay('o2')).expect(201);
    await bob().post('/payments', pay('o1')).expect(201);
    const ids = (res: request.Response) =>
      (res.body as { user_id: string; order_id: string }[]).map(
        (p) => `${p.user_id}/${p.order_id}`,
      );
    expect(ids(await ann().get('/payments').expect(200))).toEqual(['ann/o1', 'ann/o2']);
    expect(ids(await ann().get('/payments?order_id=o1').expect(200))).toEqual(['ann/o1']);
    expect(ids(await bob().get('/payments?order_id=o2').expect(200))).toEqual([]);
    expect(ids(await root().get('/payments?order_id=o1').expect(200))).toEqual([
      'ann/o1',
      'bob/o1',
    ]);
    expect(ids(await root().get('/payments').expect(200))).toHaveLength(3);
    await ann().get('/payments?order_id=o1&order_id=o2').expect(400);
    await ann().get('/payments?status=captured').expect(400);
  });
});

describe('payment-service Idempotency-Key', () => {
  let app: INestApplication;
  beforeEach(async () => {
    app = await startTestApp(AppModule);
  });
  afterEach(() => app.close());

  const pay = (orderId: string) => ({ order_id: orderId, amount: 5, currency: 'EUR' });
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
    const first = await post('k1', pay('o1'));
    const again = await post('k1', pay('o1'));
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.payment_id).toBe(first.body.payment_id);
    await post('k2', pay('o1')).expect(201);
    await post(undefined, pay('o1')).expect(201);
    expect(await count('o1')).toBe(3);
  });

  it("never replays one user's payment to another user with the same key", async () => {
    const ann = await post('k1', pay('o1'), 'ann').expect(201);
    const bob = await post('k1', pay('o1'), 'bob').expect(201);
    expect(bob.body.payment_id).not.toBe(ann.body.payment_id);
    expect(bob.body.user_id).toBe('bob');
    expect(await count('o1')).toBe(2);
  });

  it('makes concurrent duplicates share one execution', async () => {
    const replies = await Promise.all(Array.from({ length: 10 }, () => post('same', pay('o2'))));
    expect(new Set(replies.map((r) => r.body.payment_id)).size).toBe(1);
    expect(await count('o2')).toBe(1);
  });

  it('forgets a failed call, so a corrected retry with the same key runs', async () => {
    await post('k3', { ...pay('o3'), amount: -1 }).expect(400);
    await post('k3', pay('o3')).expect(201);
    expect(await count('o3')).toBe(1);
  });
});
