import { asCaller, startTestApp } from '@mqgw/service-kit/testing';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { AppModule } from './app.module';

describe('user-service HTTP API', () => {
  let app: INestApplication;

  beforeEach(async () => {
    app = await startTestApp(AppModule);
  });
  afterEach(() => app.close());

  const as = (userId: string, scopes = '') => asCaller(app, userId, scopes);
  const ann = () => as('ann', 'read write');
  const bob = () => as('bob');
  const root = () => as('root', 'read admin');

  describe('identity', () => {
    it('answers 401 with a JSON body to every route but /health without X-User-ID', async () => {
      const http = request(app.getHttpServer());
      for (const req of [
        http.post('/users').send({ name: 'Ann', email: 'ann@x.io' }),
        http.get('/users'),
        http.get('/users/ann'),
        http.put('/users/ann').send({ name: 'A' }),
        http.delete('/users/ann'),
        http.post('/v2/users/search').send({}),
      ]) {
        const res = await req.expect(401);
        expect(res.body).toEqual({
          statusCode: 401,
          message: 'X-User-ID is required',
          error: 'Unauthorized',
        });
      }
      expect((await http.get('/users').set('x-user-id', 'not ok').expect(400)).body.message).toBe(
        'X-User-ID must be 1-128 characters of A-Z a-z 0-9 _ . @ : -',
      );
      expect((await http.get('/health').expect(200)).body.status).toBe('ok');
    });
  });

  describe('POST /users', () => {
    it("creates the caller's own profile with role user", async () => {
      const created = await ann()
        .post('/users', { name: ' Ann ', email: 'Ann@Example.com' })
        .expect(201);
      expect(created.body).toEqual({
        user_id: 'ann',
        name: 'Ann',
        email: 'ann@example.com',
        role: 'user',
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
      await ann().get('/users/ann').expect(200, created.body);
    });

    it('makes an admin who creates their own profile an admin, and no one else', async () => {
      expect(
        (await root().post('/users', { name: 'Root', email: 'root@x.io' }).expect(201)).body,
      ).toMatchObject({ user_id: 'root', role: 'admin' });
      expect(
        (
          await root()
            .post('/users', { name: 'Bob', email: 'bob@x.io', user_id: 'bob' })
            .expect(201)
        ).body,
      ).toMatchObject({ user_id: 'bob', role: 'user' });
      expect((await bob().get('/users/bob').expect(200)).body.role).toBe('user');
    });

    it('takes the seed example verbatim: role user, for anyone', async () => {
      const created = await bob()
        .post('/users', { name: 'John Doe', email: 'john@example.com', role: 'user' })
        .expect(201);
      expect(created.body).toMatchObject({ user_id: 'bob', name: 'John Doe', role: 'user' });
      // An admin may ask for a plain profile too.
      expect(
        (await root().post('/users', { name: 'R', email: 'r@x.io', role: 'user' }).expect(201)).body
          .role,
      ).toBe('user');
    });

    it('gives the admin role only to a caller with the admin scope (403 otherwise)', async () => {
      const refused = await ann()
        .post('/users', { name: 'X', email: 'x@x.io', role: 'admin' })
        .expect(403);
      expect(refused.body).toEqual({
        statusCode: 403,
        message: 'only an admin may give the admin role',
        error: 'Forbidden',
      });
      await ann().get('/users/ann').expect(404);
      expect(
        (
          await root()
            .post('/users', { name: 'B', email: 'b@x.io', user_id: 'bob', role: 'admin' })
            .expect(201)
        ).body,
      ).toMatchObject({ user_id: 'bob', role: 'admin' });
      const bad = await root().post('/users', { name: 'X', email: 'y@x.io', role: 'root' });
      expect(bad.status).toBe(400);
      expect(bad.body.message).toEqual(['role must be one of the following values: user, admin']);
    });

    it("refuses a non-admin creating someone else's profile (403), not their own", async () => {
      await ann().post('/users', { name: 'B', email: 'b@x.io', user_id: 'bob' }).expect(403);
      await ann().post('/users', { name: 'A', email: 'a@x.io', user_id: 'ann' }).expect(201);
      await root().get('/users/bob').expect(404);
    });

    it('refuses a second profile for a user, or a taken email (409)', async () => {
      await ann().post('/users', { name: 'A', email: 'a@x.io' }).expect(201);
      await ann().post('/users', { name: 'A2', email: 'a2@x.io' }).expect(409);
      await bob().post('/users', { name: 'B', email: 'A@X.io' }).expect(409);
      await bob().post('/users', { name: 'B', email: 'b@x.io' }).expect(201);
    });

    it('answers bad input with 400 and one message per problem', async () => {
      const res = await ann().post('/users', { name: '  ', email: 'nope' }).expect(400);
      expect(res.body.message).toEqual(['name should not be empty', 'email must be an email']);
      const missing = await ann().post('/users', {}).expect(400);
      expect(missing.body.message).toEqual(
        expect.arrayContaining(['name must be a string', 'email must be an email']),
      );
      await ann()
        .post('/users', { name: 'x'.repeat(201), email: 'a@x.io' })
        .expect(400);
      await root().post('/users', { name: 'X', email: 'x@x.io', user_id: 'a b' }).expect(400);
    });
  });

  describe('reading and listing', () => {
    beforeEach(async () => {
      await ann().post('/users', { name: 'Ann', email: 'ann@x.io' }).expect(201);
      await bob().post('/users', { name: 'Bob', email: 'bob@x.io' }).expect(201);
    });

    it('lists only the caller themselves for a non-admin, everyone for an admin', async () => {
      const own = await ann().get('/users').expect(200);
      expect(own.body).toEqual({ users: [expect.objectContaining({ user_id: 'ann' })], count: 1 });
      expect((await as('carol').get('/users').expect(200)).body).toEqual({ users: [], count: 0 });
      const all = await root().get('/users').expect(200);
      expect(all.body.count).toBe(2);
      expect(all.body.users.map((u: { user_id: string }) => u.user_id).sort()).toEqual([
        'ann',
        'bob',
      ]);
    });

    it("hides another user's profile behind a 404, like a missing one", async () => {
      const hidden = await ann().get('/users/bob').expect(404);
      const missing = await ann().get('/users/nobody').expect(404);
      expect(hidden.body).toEqual({
        statusCode: 404,
        message: 'user bob not found',
        error: 'Not Found',
      });
      expect(missing.body.error).toBe('Not Found');
      expect((await root().get('/users/bob').expect(200)).body.name).toBe('Bob');
    });
  });

  describe('PUT /users/:id', () => {
    beforeEach(async () => {
      await ann().post('/users', { name: 'Ann', email: 'ann@x.io' }).expect(201);
      await bob().post('/users', { name: 'Bob', email: 'bob@x.io' }).expect(201);
    });

    it('lets a user change their own name and email', async () => {
      const updated = await ann().put('/users/ann', { name: 'Annie', email: 'ANNIE@x.io' });
      expect(updated.status).toBe(200);
      expect(updated.body).toMatchObject({ name: 'Annie', email: 'annie@x.io', role: 'user' });
      await ann().put('/users/ann', { email: 'bob@x.io' }).expect(409);
      const unchanged = await ann().put('/users/ann', { name: null, email: null }).expect(200);
      expect(unchanged.body).toMatchObject({ name: 'Annie', email: 'annie@x.io' });
      // The old address is free again, the new one is taken.
      await root().post('/users', { name: 'R', email: 'annie@x.io' }).expect(409);
      await root().post('/users', { name: 'R', email: 'ann@x.io' }).expect(201);
    });

    it("answers 404 to a user updating another user's profile, and changes nothing", async () => {
      await ann().put('/users/bob', { name: 'pwned' }).expect(404);
      expect((await bob().get('/users/bob').expect(200)).body.name).toBe('Bob');
      expect((await root().put('/users/bob', { name: 'Robert' }).expect(200)).body.name).toBe(
        'Robert',
      );
    });

    it('refuses role, user_id and unknown properties (400), even from an admin', async () => {
      const res = await ann().put('/users/ann', { role: 'admin' }).expect(400);
      expect(res.body.message).toEqual(['property role should not exist']);
      await root().put('/users/ann', { role: 'admin' }).expect(400);
      await ann().put('/users/ann', { user_id: 'root' }).expect(400);
      expect((await ann().get('/users/ann').expect(200)).body).toMatchObject({
        user_id: 'ann',
        role: 'user',
      });
    });
  });

  describe('DELETE /users/:id', () => {
    it('is for admins only: 403 for anyone else, 204 then 404 for an admin', async () => {
      await ann().post('/users', { name: 'Ann', email: 'ann@x.io' }).expect(201);
      await ann().delete('/users/ann').expect(403);
      await bob().delete('/users/ann').expect(403);
      await root().delete('/users/ann').expect(204, '');
      await ann().get('/users/ann').expect(404);
      await root().delete('/users/ann').expect(404);
      // A deleted profile's address may be registered again.
      await bob().post('/users', { name: 'B', email: 'ann@x.io' }).expect(201);
    });
  });

  describe('API v2', () => {
    it('serves create, get, update and search, echoing api_version and action', async () => {
      const created = await ann()
        .post('/v2/users/create', {
          api_version: 'v2',
          action: 'create',
          user: { name: 'V', email: 'v@x.io' },
        })
        .expect(200);
      expect(created.body).toMatchObject({
        api_version: 'v2',
        action: 'create',
        user: { user_id: 'ann', name: 'V', role: 'user' },
      });
      const got = await ann()
        .post('/v2/users/get', { api_version: 'v2', action: 'get', user_id: 'ann' })
        .expect(200);
      expect(got.body).toMatchObject({ api_version: 'v2', action: 'get', user: { name: 'V' } });
      const updated = await ann()
        .post('/v2/users/update', {
          api_version: 'v2',
          action: 'update',
          user_id: 'ann',
          user: { name: 'W' },
        })
        .expect(200);
      expect(updated.body).toMatchObject({ action: 'update', user: { name: 'W' } });
      const found = await ann()
        .post('/v2/users/search', { api_version: 'v2', action: 'search', query: 'v@' })
        .expect(200);
      expect(found.body).toMatchObject({ api_version: 'v2', action: 'search', count: 1 });
      expect((await ann().post('/v2/users/search', {}).expect(200)).body).toMatchObject({
        api_version: null,
        action: null,
        count: 1,
      });
    });

    it('applies the v1 rules: no admin role, no one else, search only yourself', async () => {
      await bob().post('/users', { name: 'Bob', email: 'bob@x.io' }).expect(201);
      await ann()
        .post('/v2/users/create', { user: { name: 'A', email: 'a@x.io', role: 'admin' } })
        .expect(403);
      await ann()
        .post('/v2/users/create', { user: { name: 'A', email: 'a@x.io', user_id: 'zed' } })
        .expect(403);
      await ann().post('/v2/users/get', { user_id: 'bob' }).expect(404);
      await ann()
        .post('/v2/users/update', { user_id: 'bob', user: { name: 'pwned' } })
        .expect(404);
      await bob()
        .post('/v2/users/update', { user_id: 'bob', user: { role: 'admin' } })
        .expect(400);
      expect((await ann().post('/v2/users/search', { query: 'bob' }).expect(200)).body.count).toBe(
        0,
      );
      expect((await root().post('/v2/users/search', { query: 'bob' }).expect(200)).body.count).toBe(
        1,
      );
    });

    it('answers 400 to missing or unknown fields and 404 to unknown actions', async () => {
      const res = await ann().post('/v2/users/get', {}).expect(400);
      expect(res.body.message).toEqual(
        expect.arrayContaining(['user_id must be 1-128 characters of A-Z a-z 0-9 _ . @ : -']),
      );
      await ann().post('/v2/users/create', {}).expect(400);
      await ann().post('/v2/users/search', { extra: 1 }).expect(400);
      await ann().post('/v2/users/explode', {}).expect(404);
    });
  });
});
