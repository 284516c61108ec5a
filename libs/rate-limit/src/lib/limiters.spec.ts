import { Redis } from 'ioredis';
import { openTestRedis, REDIS_URL } from '@mqgw/testing';
import { describeRateLimiterContract } from './rate-limiter.contract';
import { RedisSlidingWindowLimiter } from './redis-sliding-window.limiter';
import { InMemorySlidingWindowLimiter } from './in-memory-sliding-window.limiter';
import { FailoverLimiter } from './failover.limiter';
import { LimiterUnavailableError, type RateLimiter } from './rate-limiter';

describeRateLimiterContract('RedisSlidingWindowLimiter', async () => {
  const t = await openTestRedis('ratelimit');
  return {
    limiter: new RedisSlidingWindowLimiter(t.redis, t.prefix),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    teardown: () => t.close(),
  };
});

describeRateLimiterContract('InMemorySlidingWindowLimiter', async () => {
  let now = 1_000_000;
  return {
    limiter: new InMemorySlidingWindowLimiter(() => now),
    sleep: async (ms) => {
      now += ms;
    },
  };
});

describe('exactness across clients', () => {
  it('lets exactly 100 of 200 concurrent requests through two limiter clients on one Redis', async () => {
    const t = await openTestRedis('ratelimit-exact');
    const second = new Redis(REDIS_URL);
    try {
      const a = new RedisSlidingWindowLimiter(t.redis, t.prefix);
      const b = new RedisSlidingWindowLimiter(second, t.prefix);
      const limit = { limit: 100, windowMs: 60_000 };
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).consume('user:alice', limit)),
      );
      expect(results.filter((r) => r.allowed)).toHaveLength(100);
    } finally {
      second.disconnect();
      await t.close();
    }
  });
});

describe('FailoverLimiter', () => {
  const broken: RateLimiter = { consume: () => Promise.reject(new Error('ECONNREFUSED')) };

  it('open: falls back to a local limiter and reports it', async () => {
    const fallbacks: unknown[] = [];
    const limiter = new FailoverLimiter(broken, 'open', (e) => fallbacks.push(e));
    const results = await Promise.all(
      Array.from({ length: 5 }, () => limiter.consume('p', { limit: 3, windowMs: 60_000 })),
    );
    expect(results.filter((r) => r.allowed)).toHaveLength(3);
    expect(fallbacks).toHaveLength(5);
  });

  it('closed: refuses with LimiterUnavailableError', async () => {
    const limiter = new FailoverLimiter(broken, 'closed');
    await expect(limiter.consume('p', { limit: 3, windowMs: 60_000 })).rejects.toBeInstanceOf(
      LimiterUnavailableError,
    );
  });
});
