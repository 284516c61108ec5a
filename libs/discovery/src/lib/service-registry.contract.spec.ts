import { openTestRedis } from '@mqgw/testing';
import { InMemoryServiceRegistry } from './in-memory-service.registry';
import { RedisServiceRegistry } from './redis-service.registry';
import { describeServiceRegistryContract } from './service-registry.contract';

describeServiceRegistryContract('RedisServiceRegistry', async () => {
  const t = await openTestRedis('registry-contract');
  return {
    registry: new RedisServiceRegistry(t.redis, { keyPrefix: t.prefix }),
    teardown: () => t.close(),
  };
});

describeServiceRegistryContract('InMemoryServiceRegistry', async () => ({
  registry: new InMemoryServiceRegistry(),
}));
