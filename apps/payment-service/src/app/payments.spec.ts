import { startTestApp } from '@mqgw/service-kit/testing';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { AppModule } from './app.module';

describe('payment-service HTTP API', () => {
  let app: INestApplication;

  beforeEach(async () => {
    app = await startTestApp(AppModule);
  });
  afterEach(() => app.close());

  it('captures, partially refunds, then fully refunds a payment', async () => {
    const http = request(app.getHttpServer());
    const paid = await http
      .post('/payments')
      .send({ order_id: 'o1', amount: 10, currency: 'EUR' })
      .expect(201);
    const id = paid.body.payment_id as string;
    expect(paid.body).toMatchObject({ status: 'captured', method: 'card', amount: 10 });
    expect(
      (await http.post(`/payments/${id}/refund`).send({ amount: 4 }).expect(200)).body.status,
    ).toBe('partially_refunded');
    await http.post(`/payments/${id}/refund`).send({ amount: 7 }).expect(422);
    expect(
      (await http.post(`/payments/${id}/refund`).send({}).expect(200)).body.refunded_amount,
    ).toBe(10);
    await http.post(`/payments/${id}/refund`).send({}).expect(409);
    expect((await http.get(`/payments/${id}`).expect(200)).body.status).toBe('refunded');
  });

  it('rejects bad amounts and currencies, and unknown payments', async () => {
    const http = request(app.getHttpServer());
    const res = await http
      .post('/payments')
      .send({ order_id: 'o', amount: -1, currency: 'euro' })
      .expect(400);
    expect(res.body.message).toEqual(['amount must be >= 0.01', 'currency has an invalid format']);
    await http.get('/payments/nope').expect(404);
  });
});

describe('payment-service Idempotency-Key', () => {
  let app: INestApplication;
  beforeEach(async () => {
    app = await startTestApp(AppModule);
  });
  afterEach(() => app.close());

  const pay = (orderId: string) => ({ order_id: orderId, amount: 5, currency: 'EUR' });

  it('captures once per key: a retry gets the first payment with its status code', async () => {
    const http = request(app.getHttpServer());
    const first = await http.post('/payments').set('idempotency-key', 'k1').send(pay('o1'));
    const again = await http.post('/payments').set('idempotency-key', 'k1').send(pay('o1'));
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.payment_id).toBe(first.body.payment_id);
    await http.post('/payments').set('idempotency-key', 'k2').send(pay('o1')).expect(201);
    await http.post('/payments').send(pay('o1')).expect(201);
    expect((await http.get('/payments?order_id=o1').expect(200)).body).toHaveLength(3);
  });

  it('makes concurrent duplicates share one execution', async () => {
    const http = request(app.getHttpServer());
    const replies = await Promise.all(
      Array.from({ length: 10 }, () =>
        http.post('/payments').set('idempotency-key', 'same').send(pay('o2')),
      ),
    );
    expect(new Set(replies.map((r) => r.body.payment_id)).size).toBe(1);
    expect((await http.get('/payments?order_id=o2').expect(200)).body).toHaveLength(1);
  });

  it('forgets a failed call, so a corrected retry with the same key runs', async () => {
    const http = request(app.getHttpServer());
    await http
      .post('/payments')
      .set('idempotency-key', 'k3')
      .send({ ...pay('o3'), amount: -1 })
      .expect(400);
    await http.post('/payments').set('idempotency-key', 'k3').send(pay('o3')).expect(201);
    expect((await http.get('/payments?order_id=o3').expect(200)).body).toHaveLength(1);
  });
});
