import { RedisCircuitBreaker, type Transition } from '@mqgw/breaker';
import { CONTRACT_BREAKER_OPTIONS, describeCircuitBreakerContract } from '@mqgw/breaker/testing';
import { RedisServiceRegistry } from '@mqgw/discovery';
import { describeServiceRegistryContract } from '@mqgw/discovery/testing';
import { RedisSlidingWindowLimiter } from '@mqgw/rate-limit';
import { describeRateLimiterContract } from '@mqgw/rate-limit/testing';
import { RedisKvStore } from '@mqgw/store';
import { describeKvStoreContract } from '@mqgw/store/testing';
import { Logger } from '@nestjs/common';
import {
  startRedisCluster,
  startRedisSentinel,
  uniqueTestId,
  type TestRedisCluster,
} from '@mqgw/testing';
import { readGatewayConfig } from '../gateway.config';
import { createSharedState, type SharedState } from './shared-state';

/*
 * The shared state's Redis implementations on a real three-master Redis Cluster, through
 * ioredis `Cluster`, passing the same contracts as on one node. Every Lua script touches
 * one key or keys with one hash tag, so no script crosses a slot.
 */
let cluster: TestRedisCluster;
beforeAll(async () => {
  cluster = await startRedisCluster();
}, 30_000);
afterAll(() => cluster?.stop());

function open() {
  const redis = cluster.connect();
  return { redis, prefix: `${uniqueTestId('cluster')}:`, teardown: async () => redis.disconnect() };
}

describeKvStoreContract('RedisKvStore on Redis Cluster', async () => {
  const { redis, prefix, teardown } = open();
  return { store: new RedisKvStore(redis), prefix, teardown };
});

describeServiceRegistryContract('RedisServiceRegistry on Redis Cluster', async () => {
  const { redis, prefix, teardown } = open();
  const registry = new RedisServiceRegistry(redis, { keyPrefix: prefix });
  return { registry, teardown };
});

describeRateLimiterContract('RedisSlidingWindowLimiter on Redis Cluster', async () => {
  const { redis, prefix, teardown } = open();
  return {
    limiter: new RedisSlidingWindowLimiter(redis, prefix),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    teardown,
  };
});

describeCircuitBreakerContract('RedisCircuitBreaker on Redis Cluster', async () => {
  const { redis, prefix, teardown } = open();
  const transitions: Transition[] = [];
  const breaker = new RedisCircuitBreaker(redis, {
    ...CONTRACT_BREAKER_OPTIONS,
    keyPrefix: prefix,
    onTransition: (x) => transitions.push(x),
  });
  return { breaker, transitions, teardown };
});

/** Two gateway instances' shared state on `env`: the limit holds exactly across both. */
async function expectExactAcrossTwoInstances(env: Record<string, string>): Promise<void> {
  const config = readGatewayConfig({
    JWT_SECRET: 'x'.repeat(32),
    REDIS_KEY_PREFIX: `${uniqueTestId('topology')}:`,
    ...env,
  });
  const events = { limiterFallback: () => undefined, breakerTransition: () => undefined };
  const states: SharedState[] = [0, 1].map(() =>
    createSharedState(config.state, events, new Logger('test')),
  );
  try {
    await Promise.all(states.map((s) => s.start()));
    expect(states.map((s) => s.mode)).toEqual(['redis', 'redis']);
    const decisions = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        states[i % 2].limiter.consume('user:u', { limit: 15, windowMs: 60_000 }),
      ),
    );
    expect(decisions.filter((d) => d.allowed)).toHaveLength(15);
    await states[0].kv.put('k', 'v', 0);
    expect(await states[1].kv.get('k')).toBe('v');
  } finally {
    await Promise.all(states.map((s) => s.close()));
  }
}

describe('the gateway configured for a Redis Cluster or Sentinels', () => {
  it('REDIS_CLUSTER_NODES: two instances share exact limits and state through the Cluster', async () => {
    const nodes = cluster.nodes.map((n) => `${n.host}:${n.port}`).join(',');
    await expectExactAcrossTwoInstances({ REDIS_CLUSTER_NODES: nodes });
  });

  it('REDIS_SENTINELS: two instances find the master through a Sentinel', async () => {
    const sentinel = await startRedisSentinel();
    try {
      await expectExactAcrossTwoInstances({
        REDIS_SENTINELS: sentinel.sentinels.map((n) => `${n.host}:${n.port}`).join(','),
        REDIS_SENTINEL_MASTER: sentinel.name,
      });
    } finally {
      await sentinel.stop();
    }
  }, 30_000);
});
