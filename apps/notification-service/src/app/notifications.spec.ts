import { startTestApp } from '@mqgw/service-kit/testing';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { AppModule } from './app.module';

describe('notification-service HTTP API', () => {
  let app: INestApplication;

  beforeEach(async () => {
    app = await startTestApp(AppModule);
  });
  afterEach(() => app.close());

  const send = (body: object) =>
    request(app.getHttpServer()).post('/notifications').set('x-user-id', 'ann').send(body);
  const template = (id: string) =>
    request(app.getHttpServer()).get(`/notifications/templates/${id}`).set('x-user-id', 'ann');

  it('answers 401 without X-User-ID on every route but /health', async () => {
    const http = request(app.getHttpServer());
    const sent = await http
      .post('/notifications')
      .send({ recipient: 'a@x.io', channel: 'email', template_id: 'welcome' })
      .expect(401);
    expect(sent.body).toEqual({
      statusCode: 401,
      message: 'X-User-ID is required',
      error: 'Unauthorized',
    });
    await http.get('/notifications/templates/welcome').expect(401);
    await http.get('/notifications/templates/welcome').set('x-user-id', 'a b').expect(400);
    await http.get('/health').expect(200);
  });

  it('queues a notification (202) from a template filled with its data, or a message', async () => {
    const res = await send({
      recipient: 'a@x.io',
      channel: 'email',
      template_id: 'welcome',
      data: { name: 'Ann' },
    }).expect(202);
    expect(res.body).toEqual({
      notification_id: expect.stringMatching(/^ntf_/),
      recipient: 'a@x.io',
      channel: 'email',
      template_id: 'welcome',
      subject: 'Welcome',
      body: 'Hello Ann, welcome aboard.',
      status: 'queued',
      queued_at: expect.any(String),
    });
    const receipt = await send({
      recipient: 'a@x.io',
      channel: 'email',
      template_id: 'payment-receipt',
      data: { amount: 14.97, currency: 'EUR' },
    }).expect(202);
    expect(receipt.body).toMatchObject({ subject: 'Receipt', body: 'We received 14.97 EUR.' });
    const order = await send({
      recipient: 'a@x.io',
      channel: 'email',
      template_id: 'order-confirmation',
      data: { order_id: 'ord_1' },
    }).expect(202);
    expect(order.body).toMatchObject({
      subject: 'Order ord_1 confirmed',
      body: 'We have your order ord_1.',
    });
    expect(
      (await send({ recipient: 'a', channel: 'sms', message: 'hi' }).expect(202)).body,
    ).toMatchObject({ template_id: null, subject: null, body: 'hi' });
  });

  it('refuses unknown or missing template variables, and variables without a template', async () => {
    const unknown = await send({
      recipient: 'a',
      channel: 'email',
      template_id: 'welcome',
      data: { name: 'Ann', coupon: 'FREE' },
    }).expect(400);
    expect(unknown.body.message).toEqual(['data.coupon is not a variable of template welcome']);
    const missing = await send({
      recipient: 'a',
      channel: 'email',
      template_id: 'payment-receipt',
      data: { amount: 1 },
    }).expect(400);
    expect(missing.body.message).toEqual(['data.currency is required by template payment-receipt']);
    await send({ recipient: 'a', channel: 'email', template_id: 'welcome' }).expect(400);
    const stray = await send({ recipient: 'a', channel: 'sms', message: 'hi', data: {} });
    expect(stray.status).toBe(400);
    expect(stray.body.message).toEqual(['data fills a template: send it with a template_id']);
    // A placeholder in a value is text, not another placeholder.
    const literal = await send({
      recipient: 'a',
      channel: 'email',
      template_id: 'welcome',
      data: { name: '{{name}}' },
    }).expect(202);
    expect(literal.body.body).toBe('Hello {{name}}, welcome aboard.');
  });

  it('rejects a notification without content, or with an unknown channel or template', async () => {
    const empty = await send({ recipient: 'a', channel: 'email' }).expect(400);
    expect(empty.body).toEqual({
      statusCode: 400,
      message: ['one of template_id or message is required'],
      error: 'Bad Request',
    });
    await send({ recipient: 'a', channel: 'email', template_id: null }).expect(400);
    const fax = await send({ recipient: 'a', channel: 'fax', message: 'x' }).expect(400);
    expect(fax.body.message).toEqual([
      'channel must be one of the following values: email, sms, push',
    ]);
    await send({ recipient: 'a', channel: 'email', template_id: 'x' }).expect(404);
    await send({ recipient: 'a', channel: 'email', template_id: 'constructor' }).expect(404);
  });

  it('rejects unknown properties and malformed fields (400)', async () => {
    const extra = await send({ recipient: 'a', channel: 'sms', message: 'hi', priority: 1 });
    expect(extra.status).toBe(400);
    expect(extra.body.message).toEqual(['property priority should not exist']);
    await send({ recipient: '', channel: 'sms', message: 'hi' }).expect(400);
    await send({ recipient: 'a'.repeat(321), channel: 'sms', message: 'hi' }).expect(400);
    await send({ recipient: 'a', channel: 'sms', message: 'x'.repeat(10_001) }).expect(400);
    await send({ recipient: 'a', channel: 'email', template_id: 'welcome', data: [1] }).expect(400);
    await send({ recipient: 'a', channel: 'email', template_id: 'welcome', data: 'x' }).expect(400);
    await send({
      recipient: 'a',
      channel: 'email',
      template_id: 'welcome',
      data: { name: 'x'.repeat(1001) },
    }).expect(400);
    await send({
      recipient: 'a',
      channel: 'email',
      template_id: 'welcome',
      data: { name: { nested: true } },
    }).expect(400);
  });

  it('serves templates with the variables they take, and 404s unknown ones', async () => {
    expect((await template('welcome').expect(200)).body).toEqual({
      template_id: 'welcome',
      channel: 'email',
      subject: 'Welcome',
      body: 'Hello {{name}}, welcome aboard.',
      variables: ['name'],
    });
    expect((await template('payment-receipt').expect(200)).body.variables).toEqual([
      'amount',
      'currency',
    ]);
    await template('nope').expect(404);
    await template('constructor').expect(404);
  });
});
