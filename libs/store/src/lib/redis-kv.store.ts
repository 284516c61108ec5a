import type { RedisClient } from './redis-client';
import type { KvStore } from './kv-store';

export class RedisKvStore implements KvStore {
  constructor(readonly redis: RedisClient) {}

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

  async setAdd(key: string, members: readonly string[]): Promise<void> {
    if (members.length > 0) await this.redis.sadd(key, ...members);
  }

  setMembers(key: string): Promise<string[]> {
    return this.redis.smembers(key);
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
