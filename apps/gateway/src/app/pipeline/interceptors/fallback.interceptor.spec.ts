import { GatewayError } from '@mqgw/contracts';
import { InstanceDirectory, parseStaticServices } from '@mqgw/discovery';
import { InMemoryServiceRegistry } from '@mqgw/discovery/testing';
import { InMemoryKvStore } from '@mqgw/store';
import { pipelineConfig, requestFor, through } from '../testing/pipeline.fixtures';
import { FallbackCache } from './fallback-cache';
import { FallbackInterceptor } from './fallback.interceptor';

describe('FallbackInterceptor', () => {
  const directory = (services = '') =>
    new InstanceDirectory(new InMemoryServiceRegistry(), {
      refreshMs: 60_000,
      staticInstances: services ? parseStaticServices(services)! : [],
    });
  const as = (topic: string, principal = 'user:a') => {
    const req = requestFor(topic);
    req.identify({ id: principal, kind: 'user', userId: principal, scopes: [] });
    return req;
  };
  const down = async () => {
    throw new GatewayError('UPSTREAM_ERROR', 'svc is unreachable', { reason: 'refused' });
  };
  const ok = (data: unknown) => async () => ({
    status: 'success',
    data,
    request_id: 'r',
    service: 'svc',
  });

  it('answers a read from its last good copy when the service is unavailable', async () => {
    const step = new FallbackInterceptor(
      new FallbackCache(new InMemoryKvStore(), pipelineConfig()),
      directory(),
      pipelineConfig(),
    );
    await through(step, as('t/read/1'), ok({ v: 1 }));
    const stale = await through(step, as('t/read/1'), down);
    expect(stale).toMatchObject({ status: 'success', data: { v: 1 }, source: 'cache' });
  });

  it('never gives one principal another’s copy, nor one read another’s', async () => {
    const step = new FallbackInterceptor(
      new FallbackCache(new InMemoryKvStore(), pipelineConfig()),
      directory(),
      pipelineConfig(),
    );
    await through(step, as('t/read/1', 'user:a'), ok({ secret: 'a' }));
    await expect(through(step, as('t/read/1', 'user:b'), down)).rejects.toMatchObject({
      code: 'UPSTREAM_ERROR',
    });
    await expect(through(step, as('t/read/2', 'user:a'), down)).rejects.toMatchObject({
      code: 'UPSTREAM_ERROR',
    });
  });

  it('keeps at most FALLBACK_CACHE_MAX_ENTRIES copies per principal', async () => {
    const step = new FallbackInterceptor(
      new FallbackCache(new InMemoryKvStore(), pipelineConfig({ FALLBACK_CACHE_MAX_ENTRIES: '2' })),
      directory(),
      pipelineConfig(),
    );
    for (const id of [1, 2, 3]) await through(step, as(`t/read/${id}`), ok({ id }));
    await expect(through(step, as('t/read/2'), down)).resolves.toMatchObject({ source: 'cache' });
    await expect(through(step, as('t/read/3'), down)).rejects.toMatchObject({
      code: 'UPSTREAM_ERROR',
    });
  });

  it('keeps no copy over FALLBACK_CACHE_MAX_RECORD_BYTES and one principal under FALLBACK_CACHE_MAX_BYTES', async () => {
    const kv = new InMemoryKvStore();
    const config = pipelineConfig({
      FALLBACK_CACHE_MAX_BYTES: '20000',
      FALLBACK_CACHE_MAX_RECORD_BYTES: '4000',
    });
    const cache = new FallbackCache(kv, config);
    const put = (id: number, bytes: number, principal = 'user:a') => {
      const req = as(`t/read/${id}`, principal);
      return cache.put(req, cache.readOf(req), { blob: 'x'.repeat(bytes) }, 60);
    };
    const usage = (principal = 'user:a') => kv.boundedUsage(`fallback:{${principal}}:index`);
    await put(0, 50_000);
    expect(await usage()).toEqual({ keys: 0, bytes: 0 });
    for (let id = 1; id <= 20; id++) await put(id, 3500);
    const held = await usage();
    expect(held.keys).toBeGreaterThan(0);
    expect(held.keys).toBeLessThan(20);
    expect(held.bytes).toBeLessThanOrEqual(20_000);
    // The newest reads found no room; another principal has room of its own.
    expect(await cache.get(as('t/read/20'), cache.readOf(as('t/read/20')))).toBeUndefined();
    await put(1, 3500, 'user:b');
    expect((await usage('user:b')).keys).toBe(1);
  });

  it('lets the caller’s own errors stand', async () => {
    const step = new FallbackInterceptor(
      new FallbackCache(new InMemoryKvStore(), pipelineConfig()),
      directory(),
      pipelineConfig(),
    );
    await through(step, as('t/read/1'), ok({ v: 1 }));
    const notFound = async () => {
      throw new GatewayError('NOT_FOUND', 'no', { reason: 'rejected' });
    };
    await expect(through(step, as('t/read/1'), notFound)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('asks <service>-fallback, when one is known, and says so', async () => {
    const step = new FallbackInterceptor(
      new FallbackCache(new InMemoryKvStore(), pipelineConfig()),
      directory('svc-fallback=http://127.0.0.1:1'),
      pipelineConfig(),
    );
    const req = as('t/write');
    let attempts = 0;
    const reply = await through(step, req, async () => {
      if (attempts++ === 0) return down();
      return {
        status: 'success',
        data: { from: req.service },
        request_id: 'r',
        service: req.service,
      };
    });
    expect(reply).toMatchObject({ status: 'fallback', data: { from: 'svc-fallback' } });
  });
});
