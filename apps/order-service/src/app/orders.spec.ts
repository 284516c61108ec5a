import { startTestApp } from '@mqgw/service-kit/testing';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { AppModule } from './app.module';

describe('order-service HTTP API', () => {
  let app: INestApplication;

  beforeEach(async () => {
    app = await startTestApp(AppModule);
  });
  afterEach(() => app.close());

  const order = { user_id: 'u1', items: [{ sku: 'a', quantity: 2, price: 1.25 }] };

  it('creates, updates, lists and cancels an order', async () => {
    const http = request(app.getHttpServer());
    const created = await http.post('/orders').send(order).expect(201);
    expect(created.body).toMatchObject({
      user_id: 'u1',
      total: 2.5,
      status: 'pending',
      currency: 'USD',
    });
    const id = created.body.order_id as string;
    const updated = await http.put(`/orders/${id}`).send({ status: 'confirmed' }).expect(200);
    expect(updated.body.status).toBe('confirmed');
    expect((await http.get('/users/u1/orders').expect(200)).body.count).toBe(1);
    expect((await http.post(`/orders/${id}/cancel`).expect(200)).body.status).toBe('cancelled');
    await http.post(`/orders/${id}/cancel`).expect(409);
    await http.put(`/orders/${id}`).send({ status: 'confirmed' }).expect(409);
  });

  it('validates items and answers 404 for unknown orders', async () => {
    const http = request(app.getHttpServer());
    const res = await http
      .post('/orders')
      .send({ user_id: 'u', items: [{ sku: 'a', quantity: 0, price: 1 }] })
      .expect(400);
    expect(res.body.message).toEqual(['items[0].quantity must be >= 1']);
    await http.post('/orders').send({ user_id: 'u', items: [] }).expect(400);
    await http.get('/orders/missing').expect(404);
  });

  it('serves v2 actions and echoes api_version and action', async () => {
    const http = request(app.getHttpServer());
    const created = await http
      .post('/v2/orders/create')
      .send({ api_version: 'v2', action: 'create', ...order })
      .expect(200);
    expect(created.body).toMatchObject({
      api_version: 'v2',
      action: 'create',
      order: { total: 2.5 },
    });
    const id = created.body.order.order_id as string;
    const got = await http
      .post('/v2/orders/get')
      .send({ api_version: 'v2', action: 'get', order_id: id })
      .expect(200);
    expect(got.body.order.order_id).toBe(id);
    await http.post('/v2/orders/cancel').send({ order_id: id }).expect(200);
    await http.post('/v2/orders/nope').send({}).expect(404);
  });
});
