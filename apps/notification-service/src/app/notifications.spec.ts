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

  it('queues a notification (202) from a template or a message', async () => {
    const http = request(app.getHttpServer());
    const res = await http
      .post('/notifications')
      .send({ recipient: 'a@x.io', channel: 'email', template_id: 'welcome' })
      .expect(202);
    expect(res.body).toMatchObject({ status: 'queued', template_id: 'welcome' });
    await http
      .post('/notifications')
      .send({ recipient: 'a', channel: 'sms', message: 'hi' })
      .expect(202);
  });

  it('rejects a notification without content, with an unknown channel or template', async () => {
    const http = request(app.getHttpServer());
    await http.post('/notifications').send({ recipient: 'a', channel: 'email' }).expect(400);
    await http
      .post('/notifications')
      .send({ recipient: 'a', channel: 'fax', message: 'x' })
      .expect(400);
    await http
      .post('/notifications')
      .send({ recipient: 'a', channel: 'email', template_id: 'x' })
      .expect(404);
  });

  it('serves templates and 404s unknown ones, including prototype names', async () => {
    const http = request(app.getHttpServer());
    expect((await http.get('/notifications/templates/welcome').expect(200)).body.template_id).toBe(
      'welcome',
    );
    await http.get('/notifications/templates/nope').expect(404);
    await http.get('/notifications/templates/constructor').expect(404);
  });
});
