import { createHash } from 'node:crypto';
import { SERVICE_NAMES, type DeploymentSecrets, type ServiceName } from './secrets';

/** The registry names each service registers under (see its main.ts). */
export const REGISTRY_NAMES: Record<ServiceName, readonly string[]> = {
  'user-service': ['user-service', 'user-service-v2'],
  'order-service': ['order-service', 'order-service-v2'],
  'payment-service': ['payment-service'],
  'notification-service': ['notification-service'],
};

/**
 * What a service's registry client sends (libs/discovery `RedisServiceRegistry`, through
 * ioredis): the connection handshake and INFO (ioredis's ready check), its scripts by
 * EVALSHA, falling back to EVAL, the commands inside them, and PUBLISH. Nothing else: no
 * SCAN or KEYS (which would list every key name), no SCRIPT or FUNCTION (FLUSH among them).
 */
const SERVICE_COMMANDS = [
  '-@all',
  '+@connection',
  '-@dangerous',
  '+info',
  '+time',
  '+evalsha',
  '+eval',
  '+zrangebyscore',
  '+zremrangebyscore',
  '+zadd',
  '+zrem',
  '+hset',
  '+hdel',
  '+pexpire',
  '+publish',
];

/**
 * Redis ACL users for the stack, as an `aclfile`. Passwords are stored as SHA-256 hashes.
 * - `default` is off: every connection authenticates.
 * - `gateway`: every key and channel, no administrative or dangerous command.
 * - each service: its own registry keys and change channel (`services:{<name>}:…`, for
 *   each name it registers under) and the commands its registry client sends, so a service
 *   can neither fake, remove nor announce another's instances, list key names, flush
 *   scripts, or touch API keys or limits.
 * - `cli`: API keys and device records, for `mqgw keys` and `mqgw devices`.
 * - `health`: PING.
 */
export function redisAclFile(secrets: DeploymentSecrets, keyPrefix = ''): string {
  const p = keyPrefix;
  const hash = (password: string) => `#${createHash('sha256').update(password).digest('hex')}`;
  const registry = (names: readonly string[]) =>
    names
      .flatMap((name) => [
        `~${p}services:{${name}}:instances`,
        `~${p}services:{${name}}:data`,
        `&${p}services:{${name}}:changed`,
      ])
      .join(' ');
  const lines = [
    'user default off',
    `user gateway on ${hash(secrets.redis.gateway)} ~* &* +@all -@dangerous +info`,
    ...SERVICE_NAMES.map(
      (service) =>
        `user ${service} on ${hash(secrets.redis[service])} resetchannels ` +
        `${registry(REGISTRY_NAMES[service])} ${SERVICE_COMMANDS.join(' ')}`,
    ),
    `user cli on ${hash(secrets.redis.cli)} ~${p}apikey:* ~${p}apikeys ~${p}device:* ~${p}devices ` +
      '-@all +@read +@write +@connection -@dangerous +info',
    `user health on ${hash(secrets.redis.health)} -@all +ping`,
  ];
  return `${lines.join('\n')}\n`;
}
