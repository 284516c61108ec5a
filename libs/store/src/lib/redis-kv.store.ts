import type { RedisClient } from './redis-client';
import type { BoundedPut, KvStore, PutBound } from './kv-store';

// KEYS: key, index. ARGV: value, ttlMs, max, onlyIfAbsent. The index is a sorted set of
// keys scored by expiry (Redis clock, ms); expired ones are pruned before counting.
const PUT_BOUNDED = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
if ARGV[4] == '1' then
  local existing = redis.call('GET', KEYS[1])
  if existing then return {'exists', existing} end
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if not redis.call('ZSCORE', KEYS[2], KEYS[1]) and redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then
  return {'full'}
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
redis.call('ZADD', KEYS[2], now + ttl, KEYS[1])
if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
return {'stored'}
`;

type Commands = {
  kvPutBounded(
    key: string,
    index: string,
    value: string,
    ttlMs: number,
    max: number,
    onlyIfAbsent: string,
  ): Promise<[string, string?]>;
};

export class RedisKvStore implements KvStore {
  private readonly commands: RedisClient & Commands;

  constructor(readonly redis: RedisClient) {
    if (!(redis as Partial<Commands>).kvPutBounded) {
      redis.defineCommand('kvPutBounded', { numberOfKeys: 2, lua: PUT_BOUNDED });
    }
    this.commands = redis as RedisClient & Commands;
  }

  get(key: string): Promise<string | null> {
    return this.redis.get(key);
  }

  async put(key: string, value: string, ttlMs: number): Promise<void> {
    if (ttlMs > 0) await this.redis.set(key, value, 'PX', ttlMs);
    else await this.redis.set(key, value);
  }

  putIfAbsent(key: string, value: string, ttlMs: number): Promise<string | null> {
    // SET NX GET (Redis 7): one atomic command.
    return this.redis.set(key, value, 'PX', ttlMs, 'NX', 'GET');
  }

  async putBounded(
    key: string,
    value: string,
    ttlMs: number,
    bound: PutBound,
  ): Promise<BoundedPut> {
    const [outcome, existing] = await this.commands.kvPutBounded(
      key,
      bound.indexKey,
      value,
      ttlMs,
      bound.max,
      bound.onlyIfAbsent ? '1' : '0',
    );
    if (outcome === 'exists') return { outcome, existing: existing ?? '' };
    return outcome === 'full' ? { outcome } : { outcome: 'stored' };
  }

  async delete(key: string): Promise<void> {
    await this.redis.del(key);
  }

  async exists(key: string): Promise<boolean> {
    return (await this.redis.exists(key)) === 1;
  }

  async hashSet(key: string, fields: Record<string, string>): Promise<void> {
    await this.redis.hset(key, fields);
  }

  hashGetAll(key: string): Promise<Record<string, string>> {
    return this.redis.hgetall(key);
  }

  async hashIncrement(key: string, field: string, delta: number): Promise<void> {
    await this.redis.hincrby(key, field, delta);
  }

  async expire(key: string, ttlMs: number): Promise<void> {
    await this.redis.pexpire(key, ttlMs);
  }

  async setAdd(key: string, members: readonly string[]): Promise<void> {
    if (members.length > 0) await this.redis.sadd(key, ...members);
  }

  setMembers(key: string): Promise<string[]> {
    return this.redis.smembers(key);
  }

  async setRemove(key: string, members: readonly string[]): Promise<void> {
    if (members.length > 0) await this.redis.srem(key, ...members);
  }

  async listPushCapped(key: string, values: readonly string[], cap: number): Promise<void> {
    if (values.length === 0) return;
    await this.redis.lpush(key, ...values);
    await this.redis.ltrim(key, 0, cap - 1);
  }

  listRange(key: string, start: number, stop: number): Promise<string[]> {
    return this.redis.lrange(key, start, stop);
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }
}
