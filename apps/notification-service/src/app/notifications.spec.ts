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

  it('queues a notification (202) from a template or a message', async () => {
    const res = await send({
      recipient: 'a@x.io',
      channel: 'email',
      template_id: 'welcome',
      variables: { name: 'Ann' },
    }).expect(202);
    expect(res.body).toEqual({
      notification_id: expect.stringMatching(/^ntf_/),
      recipient: 'a@x.io',
      channel: 'email',
      template_id: 'welcome',
      status: 'queued',
      queued_at: expect.any(String),
    });
    expect(
      (await send({ recipient: 'a', channel: 'sms', message: 'hi' }).expect(202)).body.template_id,
    ).toBeNull();
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
    await send({ recipient: 'a', channel: 'sms', message: 'hi', variables: [1] }).expect(400);
    await send({ recipient: 'a', channel: 'sms', message: 'hi', variables: 'x' }).expect(400);
  });

  it('serves templates and 404s unknown ones, including prototype names', async () => {
    expect((await template('welcome').expect(200)).body.template_id).toBe('welcome');
    await template('nope').expect(404);
    await template('constructor').expect(404);
  });
});
