import { Cluster, Redis } from 'ioredis';
import { ConfigError, maybe, str, url, type EnvOf } from '@mqgw/config';

/** A single node (also behind Sentinel) or a Redis Cluster: the stores run on either. */
export type RedisClient = Redis | Cluster;

/** Where Redis is: one URL, the nodes of a Cluster, or Sentinels and a master name. */
export type RedisSettings = (
  | { kind: 'url'; url: string }
  | { kind: 'cluster'; nodes: { host: string; port: number }[] }
  | { kind: 'sentinel'; sentinels: { host: string; port: number }[]; name: string }
) &
  RedisCredentials;

/** An ACL user and its password (Redis 6+), or a password alone for `requirepass`. */
export interface RedisCredentials {
  username?: string;
  password?: string;
}

export interface RedisClientOptions {
  /** Commands fail at once while disconnected, instead of queueing without bound. */
  enableOfflineQueue: boolean;
  maxRetriesPerRequest: number;
  lazyConnect?: boolean;
  enableAutoPipelining?: boolean;
}

/** `host:port,host:port` into nodes; `undefined` if any pair is malformed. */
export function parseRedisNodes(value: string): { host: string; port: number }[] | undefined {
  const nodes = value.split(',').map((pair) => {
    const match = /^\s*([^\s:,]+):(\d{1,5})\s*$/.exec(pair);
    const port = match ? Number(match[2]) : 0;
    return match && port > 0 && port < 65536 ? { host: match[1], port } : undefined;
  });
  return nodes.every(Boolean) ? (nodes as { host: string; port: number }[]) : undefined;
}

/** Opens the right kind of connection for `settings`, with the same options on each. */
export function createRedisClient(
  settings: RedisSettings,
  options: RedisClientOptions,
): RedisClient {
  const { enableOfflineQueue, lazyConnect, enableAutoPipelining, maxRetriesPerRequest } = options;
  // Credentials given separately win over any in the URL; the master behind Sentinels and
  // every Cluster node use the same ACL user.
  const credentials = {
    ...(settings.username ? { username: settings.username } : {}),
    ...(settings.password ? { password: settings.password } : {}),
  };
  switch (settings.kind) {
    case 'url':
      return new Redis(settings.url, { ...options, ...credentials });
    case 'sentinel':
      return new Redis({
        ...options,
        ...credentials,
        sentinels: settings.sentinels,
        name: settings.name,
      });
    case 'cluster':
      return new Cluster(settings.nodes, {
        enableOfflineQueue,
        lazyConnect,
        enableAutoPipelining,
        redisOptions: { maxRetriesPerRequest, ...credentials },
      });
  }
}

const HOST_PORTS = /^[^\s:,]+:\d{1,5}(,[^\s:,]+:\d{1,5})*$/;

/** The variables that say where Redis is; every app that uses Redis reads these. */
export const redisEnvSchema = {
  REDIS_URL: maybe(
    url({ protocols: ['redis:', 'rediss:'], doc: 'one Redis node; unset = no Redis' }),
  ),
  REDIS_CLUSTER_NODES: maybe(
    str({ pattern: HOST_PORTS, doc: 'host:port,... of a Redis Cluster, instead of REDIS_URL' }),
  ),
  REDIS_SENTINELS: maybe(
    str({ pattern: HOST_PORTS, doc: 'host:port,... of Sentinels, with REDIS_SENTINEL_MASTER' }),
  ),
  REDIS_SENTINEL_MASTER: maybe(str({ pattern: /^[\w.-]{1,64}$/, doc: 'master name' })),
  REDIS_USERNAME: maybe(str({ pattern: /^[\w.-]{1,64}$/, doc: 'Redis ACL user' })),
  REDIS_PASSWORD: maybe(str({ secret: true, doc: 'Redis password (or REDIS_PASSWORD_FILE)' })),
};

/** One of REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS (with REDIS_SENTINEL_MASTER). */
export function readRedisSettings(env: EnvOf<typeof redisEnvSchema>): RedisSettings | undefined {
  const sources = (['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS'] as const).filter(
    (name) => env[name] !== undefined,
  );
  if (sources.length > 1) {
    throw new ConfigError(
      sources[1],
      `unset when ${sources[0]} is set (choose one)`,
      env[sources[1]] ?? '',
    );
  }
  const credentials: RedisCredentials = {
    ...(env.REDIS_USERNAME ? { username: env.REDIS_USERNAME } : {}),
    ...(env.REDIS_PASSWORD ? { password: env.REDIS_PASSWORD } : {}),
  };
  if (env.REDIS_URL) return { kind: 'url', url: env.REDIS_URL, ...credentials };
  if (env.REDIS_CLUSTER_NODES) {
    const nodes = parseRedisNodes(env.REDIS_CLUSTER_NODES);
    if (!nodes) {
      throw new ConfigError(
        'REDIS_CLUSTER_NODES',
        'host:port pairs separated by commas',
        env.REDIS_CLUSTER_NODES,
      );
    }
    return { kind: 'cluster', nodes, ...credentials };
  }
  if (env.REDIS_SENTINELS) {
    const sentinels = parseRedisNodes(env.REDIS_SENTINELS);
    if (!sentinels) {
      throw new ConfigError(
        'REDIS_SENTINELS',
        'host:port pairs separated by commas',
        env.REDIS_SENTINELS,
      );
    }
    if (!env.REDIS_SENTINEL_MASTER) {
      throw new ConfigError('REDIS_SENTINEL_MASTER', 'the master name the Sentinels monitor', '');
    }
    return { kind: 'sentinel', sentinels, name: env.REDIS_SENTINEL_MASTER, ...credentials };
  }
  return undefined;
}
