import { randomUUID } from 'node:crypto';

/** Short, prefixed ids for stub records, e.g. `usr_3f2a9c1e`. */
export function newId(prefix: string): string {
  return `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}
