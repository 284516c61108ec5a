import { openTestRedis } from '@mqgw/testing';
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
