/**
 * Registry keys. The `{service}` braces are a Redis Cluster hash tag: the keys that one
 * script touches always hash to one slot.
 */
export const registryKeys = {
  all: 'services:all',
  instances: (service: string) => `services:{${service}}:instances`,
  data: (service: string) => `services:{${service}}:data`,
  changes: 'services:changed',
};
