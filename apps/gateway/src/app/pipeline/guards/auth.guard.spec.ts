import { ApiKeyStore, DeviceStore, JwtVerifier } from '@mqgw/auth';
import { mintDevToken } from '@mqgw/auth/testing';
import { InMemoryKvStore, type KvStore } from '@mqgw/store';
import { InMemorySlidingWindowLimiter } from '@mqgw/rate-limit';
import { contextFor, pipelineConfig, requestFor } from '../testing/pipeline.fixtures';
import { AuthFailureBudget } from './auth-failure.budget';
import { AuthGuard } from './auth.guard';

const SECRET = 'auth-guard-secret-0123456789abcdef';

describe('AuthGuard', () => {
  const jwt = new JwtVerifier({
    secret: SECRET,
    algorithms: ['HS256'],
    clockToleranceSeconds: 0,
    cacheMax: 100,
    cacheTtlSeconds: 60,
  });
  const kv = new InMemoryKvStore();
  const budget = (limit = 1000) =>
    new AuthFailureBudget(
      new InMemorySlidingWindowLimiter(),
      pipelineConfig({ AUTH_FAILURE_LIMIT: String(limit) }),
    );
  const devices = new DeviceStore(kv, { cacheTtlSeconds: 0 });
  const guard = new AuthGuard(jwt, new ApiKeyStore(kv, { cacheTtlSeconds: 0 }), budget(), devices);
  const bearer = async (sub: string, scopes: string[] = [], expiresInSeconds = 60) =>
    `Bearer ${await mintDevToken({ secret: SECRET, sub, scopes, expiresInSeconds })}`;
  const run = (topic: string, headers: Record<string, string>) => {
    const req = requestFor(topic, headers);
    return Promise.resolve(guard.canActivate(contextFor(req))).then((ok) => ({ ok, req }));
  };

  it('makes a valid token the principal, with its scopes', async () => {
    const { ok, req } = await run('t/write', { authorization: await bearer('ada', ['a']) });
    expect(ok).toBe(true);
    expect(req.principal).toEqual({ id: 'user:ada', kind: 'user', userId: 'ada', scopes: ['a'] });
  });

  it('makes a valid API key the principal, with its owner as user', async () => {
    const { key, record } = await new ApiKeyStore(kv).create('reporting', ['admin']);
    const { req } = await run('t/admin', { 'x-api-key': key });
    expect(req.principal).toMatchObject({ id: `key:${record.id}`, userId: 'reporting' });
  });

  it.each([
    [{}, 'missing credentials: send authorization or x-api-key'],
    [{ authorization: 'Basic abc' }, 'authorization must be "Bearer <token>"'],
    [{ authorization: 'Bearer not.a.token' }, 'invalid or expired token'],
    [{ 'x-api-key': 'mqgw_000000000000_' + 'a'.repeat(43) }, 'invalid API key'],
  ])('refuses %p with UNAUTHORIZED', async (headers, message) => {
    await expect(run('t/write', headers)).rejects.toMatchObject({ code: 'UNAUTHORIZED', message });
  });

  it('refuses an expired token, and a token signed with another secret', async () => {
    const expired = await bearer('ada', [], -120);
    await expect(run('t/write', { authorization: expired })).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
    const forged = `Bearer ${await mintDevToken({ secret: 'x'.repeat(40), sub: 'ada' })}`;
    await expect(run('t/write', { authorization: forged })).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
  });

  it('refuses a principal without the route’s scopes with FORBIDDEN', async () => {
    await expect(run('t/admin', { authorization: await bearer('ada') })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: 'missing required scope: admin',
    });
  });

  it('answers SERVICE_UNAVAILABLE when the key store cannot answer', async () => {
    const down = { hashGetAll: () => Promise.reject(new Error('down')) } as unknown as KvStore;
    const blind = new AuthGuard(jwt, new ApiKeyStore(down), budget(), devices);
    const req = requestFor('t/write', { 'x-api-key': 'mqgw_000000000000_' + 'a'.repeat(43) });
    await expect(blind.canActivate(contextFor(req))).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      retryAfter: 5,
    });
  });

  it('refuses a subject that cannot be sent upstream as the caller’s BAD_REQUEST', async () => {
    for (const sub of ['has space', 'ctl\u0001char', 'naïve']) {
      const token = `Bearer ${await mintDevToken({ secret: SECRET, sub })}`;
      await expect(run('t/write', { authorization: token })).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        reason: 'invalid_request',
      });
    }
  });

  it('makes the device the principal of a device request, with its stored scopes', async () => {
    await devices.set('sensor-7', ['admin']);
    const req = requestFor('t/admin', {});
    req.device = 'sensor-7';
    expect(await guard.canActivate(contextFor(req))).toBe(true);
    expect(req.principal).toEqual({
      id: 'device:sensor-7',
      kind: 'device',
      userId: 'sensor-7',
      scopes: ['admin'],
    });
    const unscoped = requestFor('t/admin', {});
    unscoped.device = 'sensor-8';
    await expect(guard.canActivate(contextFor(unscoped))).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
  });

  it('refuses credentials on a device request instead of choosing an identity', async () => {
    const credentials: Record<string, string>[] = [
      { authorization: await bearer('ada') },
      { 'x-api-key': 'mqgw_000000000000_' + 'a'.repeat(43) },
    ];
    for (const headers of credentials) {
      const req = requestFor('t/write', headers);
      req.device = 'sensor-7';
      await expect(guard.canActivate(contextFor(req))).rejects.toMatchObject({
        code: 'BAD_REQUEST',
      });
    }
  });

  it('refuses a reply topic bound to another user', async () => {
    const req = requestFor('t/write', { authorization: await bearer('mallory') });
    req.replyOwner = 'alice';
    await expect(guard.canActivate(contextFor(req))).rejects.toMatchObject({
      reason: 'reply_not_owned',
    });
    const own = requestFor('t/write', { authorization: await bearer('alice') });
    own.replyOwner = 'alice';
    expect(await guard.canActivate(contextFor(own))).toBe(true);
  });

  it('checks the reply space before anything else about the credential, so no reply leaks', async () => {
    // An unsendable subject aiming at alice's space is dropped, not answered there.
    const token = `Bearer ${await mintDevToken({ secret: SECRET, sub: 'has space' })}`;
    const req = requestFor('t/write', { authorization: token });
    req.replyOwner = 'alice';
    await expect(guard.canActivate(contextFor(req))).rejects.toMatchObject({
      reason: 'reply_not_owned',
    });
  });

  it('turns failures into RATE_LIMITED once they spend the budget, and stops key lookups', async () => {
    const spent = budget(3);
    let lookups = 0;
    const counting = {
      hashGetAll: async () => {
        lookups++;
        return {};
      },
    } as unknown as KvStore;
    const strict = new AuthGuard(
      jwt,
      new ApiKeyStore(counting, { negativeTtlSeconds: 0, mayLookUp: () => spent.open }),
      spent,
      devices,
    );
    const attempt = (i: number) => {
      const req = requestFor('t/write', {
        'x-api-key': `mqgw_${String(i).padStart(12, '0')}_${'a'.repeat(43)}`,
      });
      return Promise.resolve(strict.canActivate(contextFor(req))).catch(
        (e: { code: string }) => e.code,
      );
    };
    const codes = [];
    for (let i = 0; i < 6; i++) codes.push(await attempt(i));
    expect(codes).toEqual([
      'UNAUTHORIZED',
      'UNAUTHORIZED',
      'UNAUTHORIZED',
      'RATE_LIMITED',
      'RATE_LIMITED',
      'RATE_LIMITED',
    ]);
    // The fourth lookup found the budget spent; the last two asked the store nothing.
    expect(lookups).toBe(4);
    // A valid token still passes while the budget is spent.
    const req = requestFor('t/write', { authorization: await bearer('ada') });
    expect(await strict.canActivate(contextFor(req))).toBe(true);
  });

  it('does nothing on a route without the auth step', async () => {
    const { ok, req } = await run('bare/x', {});
    expect(ok).toBe(true);
    expect(req.principal.kind).toBe('anonymous');
  });
});
