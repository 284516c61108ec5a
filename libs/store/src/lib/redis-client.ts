import { Cluster, Redis } from 'ioredis';

/** A single node (also behind Sentinel) or a Redis Cluster: the stores run on either. */
export type RedisClient = Redis | Cluster;

/** Where Redis is: one URL, the nodes of a Cluster, or Sentinels and a master name. */
export type RedisSettings =
  | { kind: 'url'; url: string }
  | { kind: 'cluster'; nodes: { host: string; port: number }[] }
  | { kind: 'sentinel'; sentinels: { host: string; port: number }[]; name: string };

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
  switch (settings.kind) {
    case 'url':
      return new Redis(settings.url, options);
    case 'sentinel':
      return new Redis({ ...options, sentinels: settings.sentinels, name: settings.name });
    case 'cluster':
      return new Cluster(settings.nodes, {
        enableOfflineQueue,
        lazyConnect,
        enableAutoPipelining,
        redisOptions: { maxRetriesPerRequest },
      });
  }
}
