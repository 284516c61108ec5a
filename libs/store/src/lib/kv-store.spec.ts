import { Redis } from 'ioredis';
import { openTestRedis, startRedisServer, type PrivateServer } from '@mqgw/testing';
import { describeKvStoreContract } from './kv-store.contract';
import { InMemoryKvStore } from './in-memory-kv.store';
import { PrefixedKvStore } from './prefixed-kv.store';
import { RedisKvStore } from './redis-kv.store';

describeKvStoreContract('RedisKvStore', async () => {
  const t = await openTestRedis('kv');
  return { store: new RedisKvStore(t.redis), prefix: t.prefix, teardown: () => t.close() };
});

describeKvStoreContract('InMemoryKvStore', async () => ({
  store: new InMemoryKvStore(),
  prefix: '',
}));

describeKvStoreContract('PrefixedKvStore over RedisKvStore', async () => {
  const t = await openTestRedis('kv-prefixed');
  // The contract writes under `prefix`; the view adds its own on top, and both stay
  // inside the run's keys.
  return {
    store: new PrefixedKvStore(new RedisKvStore(t.redis), `${t.prefix}view:`),
    prefix: '',
    teardown: () => t.close(),
  };
});

describe('PrefixedKvStore', () => {
  it('keeps every key under its prefix', async () => {
    const inner = new InMemoryKvStore();
    const view = new PrefixedKvStore(inner, 'p:');
    await view.put('a', '1', 0);
    await view.hashIncrement('h', 'f', 2);
    await view.listPushCapped('l', ['x'], 10);
    expect(await inner.get('p:a')).toBe('1');
    expect(await inner.get('a')).toBeNull();
    expect(await inner.hashGetAll('p:h')).toEqual({ f: '2' });
    expect(await view.listRange('l', 0, -1)).toEqual(['x']);
  });
});

describe('RedisKvStore on a Redis that refuses writes (maxmemory, noeviction)', () => {
  let server: PrivateServer;
  let redis: Redis;

  beforeAll(async () => {
    server = await startRedisServer(['--maxmemory-policy', 'noeviction']);
    redis = new Redis(server.url, { maxRetriesPerRequest: 0 });
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.stop();
  });

  /**
   * Puts Redis over its `maxmemory`: 2 MB of filler, then a limit of 1 MB. Filling up to a
   * limit would leave Redis hovering at its edge, refusing one write and taking the next.
   */
  async function overflow(): Promise<void> {
    const filler = 'f'.repeat(10_000);
    for (let i = 0; i < 200; i++) await redis.set(`filler:${i}`, filler);
    await redis.config('SET', 'maxmemory', '1mb');
    await expect(redis.set('probe', 'p')).rejects.toThrow(/^OOM /);
  }

  it('refuses a bounded write with an error and changes nothing; reads and replays still answer', async () => {
    const store = new RedisKvStore(redis);
    const bound = { indexKey: '{oom}:index', max: 10, maxBytes: 1_000_000 };
    expect((await store.putBounded('{oom}:held', 'first', 60_000, bound)).outcome).toBe('stored');
    expect((await store.putBounded('{oom}:gone', 'x', 60_000, bound)).outcome).toBe('stored');
    const before = await store.boundedUsage(bound.indexKey);
    await overflow();
    await expect(store.putBounded('{oom}:new', 'v', 60_000, bound)).rejects.toThrow(/OOM/);
    await expect(store.deleteBounded('{oom}:gone', bound.indexKey)).rejects.toThrow(/OOM/);
    expect(await store.boundedUsage(bound.indexKey)).toEqual(before);
    expect(await store.get('{oom}:new')).toBeNull();
    expect(await store.get('{oom}:gone')).toBe('x');
    // A claim that finds its key answers from a read, which Redis still serves.
    expect(
      await store.putBounded('{oom}:held', 'second', 60_000, { ...bound, onlyIfAbsent: true }),
    ).toEqual({ outcome: 'exists', existing: 'first' });
    // Once memory is freed, writes go through again.
    await redis.config('SET', 'maxmemory', '0');
    expect((await store.putBounded('{oom}:new', 'v', 60_000, bound)).outcome).toBe('stored');
    await store.deleteBounded('{oom}:gone', bound.indexKey);
    expect((await store.boundedUsage(bound.indexKey)).keys).toBe(2);
  });
});
