import { randomBytes } from 'node:crypto';
import type { RedisClient } from '@mqgw/store';
import type { RateDecision, RateLimit, RateLimiter } from './rate-limiter';

/*
 * Sliding-window log: one sorted set per bucket, scored by arrival time from the Redis
 * clock (microseconds). Trim, count, admit or refuse: all in one script, so the limit is
 * exact across any number of gateway instances and concurrent requests.
 */
const CONSUME = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[1]) * 1000
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  return {1, limit - count - 1, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local retry = math.ceil((tonumber(oldest[2]) + window - now) / 1000)
return {0, 0, retry}
`;

type Commands = {
  rateLimitConsume(
    key: string,
    windowMs: number,
    limit: number,
    member: string,
  ): Promise<[number, number, number]>;
};

export class RedisSlidingWindowLimiter implements RateLimiter {
  private readonly redis: RedisClient & Commands;
  private readonly instance = randomBytes(6).toString('hex');
  private sequence = 0;

  constructor(
    redis: RedisClient,
    private readonly keyPrefix = '',
  ) {
    if (!(redis as Partial<Commands>).rateLimitConsume) {
      redis.defineCommand('rateLimitConsume', { numberOfKeys: 1, lua: CONSUME });
    }
    this.redis = redis as RedisClient & Commands;
  }

  /** The bucket is the hash tag: one key per script call, Cluster-safe. */
  key(bucket: string): string {
    return `${this.keyPrefix}ratelimit:{${bucket}}`;
  }

  async consume(bucket: string, limit: RateLimit): Promise<RateDecision> {
    const member = `${this.instance}:${(this.sequence = (this.sequence + 1) % Number.MAX_SAFE_INTEGER)}`;
    const [allowed, remaining, retryAfterMs] = await this.redis.rateLimitConsume(
      this.key(bucket),
      limit.windowMs,
      limit.limit,
      member,
    );
    return { allowed: allowed === 1, remaining, retryAfterMs };
  }
}
