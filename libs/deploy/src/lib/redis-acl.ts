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
 * Redis ACL users for the stack, as an `aclfile`. Passwords are stored as SHA-256 hashes.
 * - `default` is off: every connection authenticates.
 * - `gateway`: every key and channel, no administrative or dangerous command.
 * - each service: only its own registry keys, the registry index and the change channel,
 *   so a service can neither fake another's instances nor touch API keys or limits.
 * - `cli`: API keys and device records, for `mqgw keys` and `mqgw devices`.
 * - `health`: PING.
 */
export function redisAclFile(secrets: DeploymentSecrets, keyPrefix = ''): string {
  const p = keyPrefix;
  const hash = (password: string) => `#${createHash('sha256').update(password).digest('hex')}`;
  const registry = (names: readonly string[]) =>
    [...names.map((name) => `~${p}services:{${name}}:*`), `~${p}services:all`].join(' ');
  const lines = [
    'user default off',
    `user gateway on ${hash(secrets.redis.gateway)} ~* &* +@all -@dangerous +info`,
    ...SERVICE_NAMES.map(
      (service) =>
        `user ${service} on ${hash(secrets.redis[service])} ${registry(REGISTRY_NAMES[service])} ` +
        `&${p}services:changed -@all +@read +@write +@scripting +@pubsub +@connection -@dangerous ` +
        '+info +time',
    ),
    `user cli on ${hash(secrets.redis.cli)} ~${p}apikey:* ~${p}apikeys ~${p}device:* ~${p}devices ` +
      '-@all +@read +@write +@connection -@dangerous +info',
    `user health on ${hash(secrets.redis.health)} -@all +ping`,
  ];
  return `${lines.join('\n')}\n`;
}
