import type { RedisClient } from './redis-client';
import {
  BOUNDED_ENTRY_OVERHEAD_BYTES,
  boundedSizesKey,
  type BoundedPut,
  type BoundedUsage,
  type KvStore,
  type PutBound,
} from './kv-store';

// KEYS: key, index, sizes. ARGV: value, ttlMs, max, onlyIfAbsent, maxBytes (0 = none),
// reserveBytes, overhead. The index is a sorted set of keys scored by expiry (Redis clock,
// ms); the sizes hash holds each key's counted bytes and, under the empty field, their
// total. Expired keys are pruned from both before anything is counted.
//
// A script is not undone when a command in it fails. Redis at `maxmemory` refuses a command
// that may grow memory (SET, HSET, HINCRBY, ZADD; not a deletion) only as the first write
// of a script, since it cannot stop one halfway: so the first write of each script below is
// one it may refuse, and a refused script has changed nothing.
const PRUNE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
if #expired > 0 then
  local freed = 0
  for i = 1, #expired do
    freed = freed + (tonumber(redis.call('HGET', KEYS[3], expired[i])) or 0)
  end
  redis.call('HINCRBY', KEYS[3], '', -freed)
  for i = 1, #expired do redis.call('HDEL', KEYS[3], expired[i]) end
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
end
`;

const PUT_BOUNDED = `
local ttl = tonumber(ARGV[2])
if ARGV[4] == '1' then
  local existing = redis.call('GET', KEYS[1])
  if existing then return {'exists', existing} end
end
${PRUNE}
local counted = redis.call('ZSCORE', KEYS[2], KEYS[1])
if not counted and redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then
  return {'full'}
end
local size = math.max(#ARGV[1], tonumber(ARGV[6])) + 3 * #KEYS[1] + tonumber(ARGV[7])
local old = 0
if counted then old = tonumber(redis.call('HGET', KEYS[3], KEYS[1])) or 0 end
local total = tonumber(redis.call('HGET', KEYS[3], '')) or 0
local maxBytes = tonumber(ARGV[5])
if maxBytes > 0 and total - old + size > maxBytes then return {'full'} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
redis.call('ZADD', KEYS[2], now + ttl, KEYS[1])
redis.call('HSET', KEYS[3], KEYS[1], size)
redis.call('HINCRBY', KEYS[3], '', size - old)
if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
if redis.call('PTTL', KEYS[3]) < ttl then redis.call('PEXPIRE', KEYS[3], ttl) end
return {'stored'}
`;

// KEYS: key, index, sizes.
const DELETE_BOUNDED = `
if redis.call('ZSCORE', KEYS[2], KEYS[1]) then
  local size = tonumber(redis.call('HGET', KEYS[3], KEYS[1])) or 0
  redis.call('HINCRBY', KEYS[3], '', -size)
  redis.call('HDEL', KEYS[3], KEYS[1])
  redis.call('ZREM', KEYS[2], KEYS[1])
end
redis.call('DEL', KEYS[1])
return 1
`;

type Commands = {
  kvPutBounded(
    key: string,
    index: string,
    sizes: string,
    value: string,
    ttlMs: number,
    max: number,
    onlyIfAbsent: string,
    maxBytes: number,
    reserveBytes: number,
    overhead: number,
  ): Promise<[string, string?]>;
  kvDeleteBounded(key: string, index: string, sizes: string): Promise<number>;
};

export class RedisKvStore implements KvStore {
  private readonly commands: RedisClient & Commands;

  constructor(readonly redis: RedisClient) {
    if (!(redis as Partial<Commands>).kvPutBounded) {
      redis.defineCommand('kvPutBounded', { numberOfKeys: 3, lua: PUT_BOUNDED });
      redis.defineCommand('kvDeleteBounded', { numberOfKeys: 3, lua: DELETE_BOUNDED });
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
      boundedSizesKey(bound.indexKey),
      value,
      ttlMs,
      bound.max,
      bound.onlyIfAbsent ? '1' : '0',
      bound.maxBytes ?? 0,
      bound.reserveBytes ?? 0,
      BOUNDED_ENTRY_OVERHEAD_BYTES,
    );
    if (outcome === 'exists') return { outcome, existing: existing ?? '' };
    return outcome === 'full' ? { outcome } : { outcome: 'stored' };
  }

  async deleteBounded(key: string, indexKey: string): Promise<void> {
    await this.commands.kvDeleteBounded(key, indexKey, boundedSizesKey(indexKey));
  }

  async boundedUsage(indexKey: string): Promise<BoundedUsage> {
    // Two reads, not one atomic step: a report of usage needs no more.
    const [keys, bytes] = await Promise.all([
      this.redis.zcard(indexKey),
      this.redis.hget(boundedSizesKey(indexKey), ''),
    ]);
    return { keys, bytes: Number(bytes ?? 0) };
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
