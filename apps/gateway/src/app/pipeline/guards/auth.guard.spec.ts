import { ConsoleLogger, Logger } from '@nestjs/common';
import { ApiKeyStore, DeviceStore, JwtVerifier } from '@mqgw/auth';
import { mintDevToken } from '@mqgw/auth/testing';
import { InMemoryKvStore, type KvStore } from '@mqgw/store';
import { GatewayRequest } from '../../request/gateway-request';
import { isUnanswerable } from '../../request/unanswerable';
import { contextFor, pipelineConfig, requestFor } from '../testing/pipeline.fixtures';
import { AuthFailures } from './auth-failures';
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
    new AuthFailures(pipelineConfig({ AUTH_FAILURE_LIMIT: String(limit) }));
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
    [{ authorization: 'Bearer not.a.token' }, 'malformed token'],
    [{ authorization: 'Bearer garbage' }, 'malformed token'],
    [{ 'x-api-key': 'mqgw_000000000000_' + 'a'.repeat(43) }, 'invalid API key'],
  ])('refuses %p with UNAUTHORIZED', async (headers, message) => {
    await expect(run('t/write', headers)).rejects.toMatchObject({ code: 'UNAUTHORIZED', message });
  });

  it('tells an expired token from a token signed with another secret', async () => {
    const expired = await bearer('ada', [], -120);
    await expect(run('t/write', { authorization: expired })).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      message: 'token expired',
    });
    const forged = `Bearer ${await mintDevToken({ secret: 'x'.repeat(40), sub: 'ada' })}`;
    await expect(run('t/write', { authorization: forged })).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      message: 'token signature does not verify',
    });
  });

  it('logs each kind of refusal at warn with its reason, never the token', async () => {
    const warned: unknown[] = [];
    const quiet = () => undefined;
    Logger.overrideLogger({ log: quiet, error: quiet, warn: (line) => warned.push(line) });
    try {
      const own = new AuthGuard(jwt, new ApiKeyStore(kv), budget(), devices);
      const forged = await mintDevToken({ secret: 'q'.repeat(40), sub: 'eve' });
      const expired = await mintDevToken({ secret: SECRET, sub: 'eve', expiresInSeconds: -120 });
      for (const token of [forged, expired, 'a.b.c']) {
        const req = requestFor('t/write', { authorization: `Bearer ${token}` });
        await expect(Promise.resolve(own.canActivate(contextFor(req)))).rejects.toMatchObject({
          code: 'UNAUTHORIZED',
        });
      }
      expect(warned.map((line) => (line as { msg: string }).msg)).toEqual([
        'refused (token signature does not verify) on t/write',
        'refused (token expired) on t/write',
        'refused (malformed token) on t/write',
      ]);
      expect(JSON.stringify(warned)).not.toContain(forged.split('.')[2]);
    } finally {
      Logger.overrideLogger(new ConsoleLogger());
    }
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
    const req = requestFor('t/admin', {}, { device: 'sensor-7' });
    expect(await guard.canActivate(contextFor(req))).toBe(true);
    expect(req.principal).toEqual({
      id: 'device:sensor-7',
      kind: 'device',
      userId: 'sensor-7',
      scopes: ['admin'],
    });
    const unscoped = requestFor('t/admin', {}, { device: 'sensor-8' });
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
      const req = requestFor('t/write', headers, { device: 'sensor-7' });
      await expect(guard.canActivate(contextFor(req))).rejects.toMatchObject({
        code: 'BAD_REQUEST',
      });
    }
  });

  const unanswerable = async (work: Promise<unknown>) => {
    const error = await work.then(
      () => undefined,
      (e: unknown) => e,
    );
    return isUnanswerable(error) ? error.reason : error;
  };

  it('neither runs nor answers a request whose reply topic is bound to another user', async () => {
    const req = requestFor(
      't/write',
      { authorization: await bearer('mallory') },
      { replyOwner: 'alice' },
    );
    expect(await unanswerable(guard.canActivate(contextFor(req)))).toBe('not_your_reply_space');
    const own = requestFor(
      't/write',
      { authorization: await bearer('alice') },
      { replyOwner: 'alice' },
    );
    expect(await guard.canActivate(contextFor(own))).toBe(true);
  });

  it('checks the reply space before anything else about the credential, so no reply leaks', async () => {
    // An unsendable subject aiming at alice's space is dropped, not answered there.
    const token = `Bearer ${await mintDevToken({ secret: SECRET, sub: 'has space' })}`;
    const req = requestFor('t/write', { authorization: token }, { replyOwner: 'alice' });
    expect(await unanswerable(guard.canActivate(contextFor(req)))).toBe('not_your_reply_space');
  });

  it('never answers an anonymous caller into a reply space bound to a user', async () => {
    const req = requestFor('t/write', {}, { replyOwner: 'alice' });
    const anonymousRoute = { ...req.route, allowAnonymous: true };
    const anon = new GatewayRequest('r', 't/write', anonymousRoute, {}, {}, performance.now(), {
      body: { value: {} },
      replyOwner: 'alice',
    });
    expect(await unanswerable(guard.canActivate(contextFor(anon)))).toBe('unauthenticated_reply');
  });

  it('counts failures per source: one source’s RATE_LIMITED never refuses another, nor a valid credential', async () => {
    const spent = budget(3);
    const strict = new AuthGuard(jwt, new ApiKeyStore(kv, { cacheTtlSeconds: 0 }), spent, devices);
    const garbage = (replyTopic: string) =>
      requestFor('t/write', { authorization: 'Bearer garbage' }, { replyTopic });
    const codeOf = (req: ReturnType<typeof garbage>) =>
      Promise.resolve(strict.canActivate(contextFor(req))).then(
        () => 'OK',
        (e: { code: string }) => e.code,
      );
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push(await codeOf(garbage('replies/eve/x')));
    expect(codes).toEqual([
      'UNAUTHORIZED',
      'UNAUTHORIZED',
      'UNAUTHORIZED',
      'RATE_LIMITED',
      'RATE_LIMITED',
    ]);
    // Another source still gets its own failures answered as such...
    expect(await codeOf(garbage('replies/bob/x'))).toBe('UNAUTHORIZED');
    // ...and valid credentials pass from anywhere, the spent source's reply topic included:
    // an API key not in any cache, and a token.
    const { key } = await new ApiKeyStore(kv).create('reporting', []);
    const viaKey = requestFor('t/write', { 'x-api-key': key }, { replyTopic: 'replies/eve/x' });
    expect(await strict.canActivate(contextFor(viaKey))).toBe(true);
    const viaToken = requestFor(
      't/write',
      { authorization: await bearer('ada') },
      { replyTopic: 'replies/eve/x' },
    );
    expect(await strict.canActivate(contextFor(viaToken))).toBe(true);
  });
});
