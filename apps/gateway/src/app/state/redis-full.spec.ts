import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { startRedisServer, type PrivateServer } from '@mqgw/testing';
import { readGatewayConfig } from '../gateway.config';
import { FallbackCache } from '../pipeline/interceptors/fallback-cache';
import { IdempotencyInterceptor } from '../pipeline/interceptors/idempotency.interceptor';
import { IdempotencyStore } from '../pipeline/interceptors/idempotency.store';
import { requestFor, through } from '../pipeline/testing/pipeline.fixtures';
import { createSharedState, type SharedState } from './shared-state';

/*
 * What the gateway does when Redis refuses writes: a Redis at its `maxmemory` under the
 * `noeviction` policy (as in compose) answers every write that could grow memory with an
 * OOM error, and keeps serving reads and deletions. Nothing that must not run twice runs;
 * everything else keeps serving.
 */
describe('the gateway on a Redis that refuses writes (maxmemory, noeviction)', () => {
  let server: PrivateServer;
  let admin: Redis;
  let state: SharedState;
  const config = () => readGatewayConfig({ JWT_SECRET: 'x'.repeat(32), REDIS_URL: server.url });

  beforeAll(async () => {
    server = await startRedisServer(['--maxmemory-policy', 'noeviction']);
    admin = new Redis(server.url, { maxRetriesPerRequest: 0 });
    state = createSharedState(config().state, events, new Logger('test'));
    await state.start();
    // Over the limit for good: 2 MB of filler, then a limit of 1 MB.
    for (let i = 0; i < 200; i++) await admin.set(`filler:${i}`, 'f'.repeat(10_000));
    await admin.config('SET', 'maxmemory', '1mb');
    await expect(admin.set('probe', 'p')).rejects.toThrow(/^OOM /);
  });
  afterAll(async () => {
    await state?.close();
    admin?.disconnect();
    await server?.stop();
  });
  const events = { limiterFallback: () => undefined, breakerTransition: () => undefined };

  it('answers a keyed request SERVICE_UNAVAILABLE without running it', async () => {
    const pipeline = config().pipeline;
    const step = new IdempotencyInterceptor(new IdempotencyStore(state.kv, pipeline), pipeline);
    const req = requestFor('t/write', { 'idempotency-key': 'k1' });
    req.identify({ id: 'user:a', kind: 'user', userId: 'a', scopes: [] });
    let calls = 0;
    await expect(
      through(step, req, async () => ({ status: 'success', data: ++calls })),
    ).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryAfter: 5 });
    expect(calls).toBe(0);
  });

  it('keeps limits exact in Redis: the limiter trims its window before it adds to it', async () => {
    // Redis does not stop a script after its first write, and a trim is a write it allows
    // at maxmemory; the window it then grows is bounded by the limit.
    const limit = { limit: 2, windowMs: 60_000 };
    const decisions = [];
    for (let i = 0; i < 3; i++)
      decisions.push((await state.limiter.consume('user:a', limit)).allowed);
    expect(decisions).toEqual([true, true, false]);
    expect(await admin.zcard('ratelimit:{user:a}')).toBe(2);
  });

  it('keeps services registered: a heartbeat may write at maxmemory', async () => {
    const instance = {
      service: 'svc',
      instanceId: 'i1',
      url: 'http://127.0.0.1:1',
      healthUrl: 'http://127.0.0.1:1/health',
      metadata: {},
      registeredAt: 1,
    };
    await state.registry.register(instance, 15);
    await state.registry.register(instance, 15);
    expect((await state.registry.listInstances('svc')).map((i) => i.instanceId)).toEqual(['i1']);
  });

  it('serves reads without keeping a stale copy', async () => {
    const cache = new FallbackCache(state.kv, config().pipeline);
    const req = requestFor('t/read/1');
    await expect(cache.put(req, cache.readOf(req), { v: 1 }, 60)).rejects.toThrow(/OOM/);
    expect(await cache.get(req, cache.readOf(req))).toBeUndefined();
  });
});
