import type { RedisClient } from '@mqgw/store';
import type { ServiceInstance, ServiceRegistry } from './service-instance';
import { escapeGlob, registryKeys, serviceOfChannel } from './registry.keys';

/*
 * KEYS[1] zset instanceId -> expiry (ms, Redis clock); KEYS[2] hash instanceId -> JSON.
 * Expired members are dropped from both on every write and read, so nothing stale remains.
 */
const PRUNE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
if #dead > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  redis.call('HDEL', KEYS[2], unpack(dead))
end
`;

// Heartbeats may write while Redis is at its maxmemory (`allow-oom`, Redis 7): a heartbeat
// rewrites an entry in place, and without it every registered instance would leave
// routing once Redis is full.
const REGISTER = `#!lua flags=allow-oom
${PRUNE}
local ttl = tonumber(ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
local added = redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl * 4)
redis.call('PEXPIRE', KEYS[2], ttl * 4)
return added
`;

const DEREGISTER = `
redis.call('ZREM', KEYS[1], ARGV[1])
return redis.call('HDEL', KEYS[2], ARGV[1])
`;

const LIST = `${PRUNE}
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
if #ids == 0 then return {} end
return redis.call('HMGET', KEYS[2], unpack(ids))
`;

type RegistryCommands = {
  registryRegister(
    zset: string,
    hash: string,
    id: string,
    json: string,
    ttlMs: number,
  ): Promise<number>;
  registryDeregister(zset: string, hash: string, id: string): Promise<number>;
  registryList(zset: string, hash: string): Promise<(string | null)[]>;
};

export interface RedisRegistryOptions {
  /** Prepended to every key and channel, to isolate tenants or test runs. */
  keyPrefix?: string;
  /** Opens a connection for pub/sub; defaults to `redis.duplicate()`. */
  subscriber?: () => RedisClient;
}

/**
 * The registry in Redis: atomic Lua writes, expiry by the Redis clock, change events by
 * pub/sub. A service touches only its own keys and channel (see `registryKeys`); the
 * gateways, which watch every channel, keep the index of service names.
 */
export class RedisServiceRegistry implements ServiceRegistry {
  private readonly prefix: string;
  private readonly redis: RedisClient & RegistryCommands;

  constructor(
    redis: RedisClient,
    private readonly options: RedisRegistryOptions = {},
  ) {
    this.prefix = options.keyPrefix ?? '';
    this.redis = defineCommands(redis);
  }

  async register(instance: ServiceInstance, ttlSeconds: number): Promise<void> {
    const name = instance.service;
    const added = await this.redis.registryRegister(
      this.key(registryKeys.instances(name)),
      this.key(registryKeys.data(name)),
      instance.instanceId,
      JSON.stringify({ ...instance, lastHeartbeatAt: Date.now() }),
      Math.round(ttlSeconds * 1000),
    );
    // Heartbeats refresh silently; only a new (or expired and returning) member is news.
    if (added > 0) await this.publish(name);
  }

  async deregister(service: string, instanceId: string): Promise<void> {
    await this.redis.registryDeregister(
      this.key(registryKeys.instances(service)),
      this.key(registryKeys.data(service)),
      instanceId,
    );
    await this.publish(service);
  }

  async listInstances(service: string): Promise<ServiceInstance[]> {
    const rows = await this.redis.registryList(
      this.key(registryKeys.instances(service)),
      this.key(registryKeys.data(service)),
    );
    return rows.filter((row): row is string => row !== null).map((row) => JSON.parse(row));
  }

  async listServiceNames(): Promise<string[]> {
    return (await this.redis.smembers(this.key(registryKeys.all))).sort();
  }

  /**
   * Watches every service's channel. A service may publish only on its own (its ACL names
   * it), so the channel, not the message, says which service changed; each name seen is
   * added to the index for `listServiceNames`.
   */
  async onChange(listener: (service: string) => void): Promise<() => Promise<void>> {
    const subscriber = this.options.subscriber?.() ?? this.redis.duplicate();
    subscriber.on('pmessage', (_pattern: string, channel: string) => {
      const service = serviceOfChannel(channel, this.prefix);
      if (service === undefined) return;
      listener(service);
      this.redis.sadd(this.key(registryKeys.all), service).catch(() => undefined);
    });
    try {
      await subscriber.psubscribe(escapeGlob(this.prefix) + registryKeys.changesPattern);
    } catch (error) {
      subscriber.disconnect();
      throw error;
    }
    return async () => {
      subscriber.disconnect();
    };
  }

  private async publish(service: string): Promise<void> {
    await this.redis.publish(this.key(registryKeys.changes(service)), service);
  }

  private key(key: string): string {
    return this.prefix + key;
  }
}

function defineCommands(redis: RedisClient): RedisClient & RegistryCommands {
  const r = redis as RedisClient & Partial<RegistryCommands>;
  if (!r.registryRegister) {
    redis.defineCommand('registryRegister', { numberOfKeys: 2, lua: REGISTER });
    redis.defineCommand('registryDeregister', { numberOfKeys: 2, lua: DEREGISTER });
    redis.defineCommand('registryList', { numberOfKeys: 2, lua: LIST });
  }
  return redis as RedisClient & RegistryCommands;
}
