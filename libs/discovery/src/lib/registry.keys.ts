/**
 * Registry keys and channels. Everything a service writes is under its own name, inside a
 * `{service}` Redis Cluster hash tag: its instances, their data and its change channel. A
 * Redis ACL can then give each service exactly its own keys and channel (libs/deploy), and
 * the keys that one script touches always hash to one slot.
 */
export const registryKeys = {
  /** Names of the services seen registering, kept by the gateways (never by a service). */
  all: 'services:all',
  instances: (service: string) => `services:{${service}}:instances`,
  data: (service: string) => `services:{${service}}:data`,
  /** Where a service announces a new instance or a departure. */
  changes: (service: string) => `services:{${service}}:changed`,
  /** Every service's change channel, as a glob pattern (PSUBSCRIBE). */
  changesPattern: 'services:{*}:changed',
};

/** What a registry name may be: a service name, as routes and `SERVICES` write them. */
export const SERVICE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The service a change channel belongs to, or undefined for anything else. */
export function serviceOfChannel(channel: string, prefix = ''): string | undefined {
  const head = `${prefix}services:{`;
  const tail = '}:changed';
  if (!channel.startsWith(head) || !channel.endsWith(tail)) return undefined;
  const name = channel.slice(head.length, channel.length - tail.length);
  return SERVICE_NAME_PATTERN.test(name) ? name : undefined;
}

/** `text` with Redis glob metacharacters escaped, for a prefix inside a pattern. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
