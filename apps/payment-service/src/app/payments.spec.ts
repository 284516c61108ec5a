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
