import { openTestRedis } from '@mqgw/testing';
import { describeKvStoreContract } from './kv-store.contract';
import { InMemoryKvStore } from './in-memory-kv.store';
import { RedisKvStore } from './redis-kv.store';

describeKvStoreContract('RedisKvStore', async () => {
  const t = await openTestRedis('kv');
  return { store: new RedisKvStore(t.redis), prefix: t.prefix, teardown: () => t.close() };
});

describeKvStoreContract('InMemoryKvStore', async () => ({
  store: new InMemoryKvStore(),
  prefix: '',
}));
