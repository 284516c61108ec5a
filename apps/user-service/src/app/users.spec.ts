import { startTestApp } from '@mqgw/service-kit/testing';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { AppModule } from './app.module';

describe('user-service HTTP API', () => {
  let app: INestApplication;

  beforeEach(async () => {
    app = await startTestApp(AppModule);
  });
  afterEach(() => app.close());

  it('creates, reads, lists, updates and deletes a user with honest status codes', async () => {
    const http = request(app.getHttpServer());
    const created = await http
      .post('/users')
      .send({ name: 'Ann', email: 'Ann@Example.com' })
      .expect(201);
    const id = created.body.user_id as string;
    expect(created.body).toMatchObject({ name: 'Ann', email: 'ann@example.com', role: 'user' });
    await http.get(`/users/${id}`).expect(200, created.body);
    expect((await http.get('/users').expect(200)).body.count).toBe(1);
    const updated = await http.put(`/users/${id}`).send({ role: 'admin' }).expect(200);
    expect(updated.body.role).toBe('admin');
    await http.delete(`/users/${id}`).expect(204);
    await http.get(`/users/${id}`).expect(404);
  });

  it('answers bad input with 400 and a JSON body listing each problem', async () => {
    const res = await request(app.getHttpServer())
      .post('/users')
      .send({ name: '', email: 'nope' })
      .expect(400);
    expect(res.body.message).toEqual([
      'name must be a non-empty string',
      'email has an invalid format',
    ]);
  });

  it('refuses a second user with the same email (409)', async () => {
    const http = request(app.getHttpServer());
    await http.post('/users').send({ name: 'A', email: 'a@x.io' }).expect(201);
    await http.post('/users').send({ name: 'B', email: 'A@x.io' }).expect(409);
  });

  it('serves v2 actions and echoes api_version and action', async () => {
    const http = request(app.getHttpServer());
    const created = await http
      .post('/v2/users/create')
      .send({ api_version: 'v2', action: 'create', user: { name: 'V', email: 'v@x.io' } })
      .expect(200);
    expect(created.body).toMatchObject({
      api_version: 'v2',
      action: 'create',
      user: { name: 'V' },
    });
    const found = await http
      .post('/v2/users/search')
      .send({ api_version: 'v2', action: 'search', query: 'v@' })
      .expect(200);
    expect(found.body.count).toBe(1);
    await http.post('/v2/users/get').send({}).expect(400);
    await http.post('/v2/users/explode').send({}).expect(404);
  });

  it('reports health through terminus', async () => {
    const res = await request(app.getHttpServer()).get('/health').expect(200);
    expect(res.body.status).toBe('ok');
  });
});
