/** What `putBounded` counts a key against: the owner's index of live keys and its size. */
export interface PutBound {
  indexKey: string;
  max: number;
  onlyIfAbsent?: boolean;
}

export type BoundedPut =
  { outcome: 'stored' } | { outcome: 'exists'; existing: string } | { outcome: 'full' };

/**
 * The small key-value surface the gateway keeps its shared state in (idempotency records,
 * API keys, stale replies, counters and logs). Redis is the production implementation;
 * the in-memory one serves the embedded mode (one process, nothing shared). Every method
 * touches one key, so the Redis implementation runs unchanged on Redis Cluster.
 */
export interface KvStore {
  get(key: string): Promise<string | null>;
  /** Stores `value`, expiring after `ttlMs` (0 = never). */
  put(key: string, value: string, ttlMs: number): Promise<void>;
  /** Stores `value` only if `key` is absent; returns the value already there, or null. Atomic. */
  putIfAbsent(key: string, value: string, ttlMs: number): Promise<string | null>;
  /**
   * Stores `value` under `key` for `ttlMs`, counting `key` in `indexKey`, which holds the
   * live keys of one owner: refused (`full`) when the index already holds `max` other live
   * keys. With `onlyIfAbsent`, an existing value is returned instead (`exists`). Atomic;
   * `key` and `indexKey` share a hash tag on Redis Cluster.
   */
  putBounded(key: string, value: string, ttlMs: number, bound: PutBound): Promise<BoundedPut>;
  delete(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
  hashSet(key: string, fields: Record<string, string>): Promise<void>;
  hashGetAll(key: string): Promise<Record<string, string>>;
  /** Atomic. */
  hashIncrement(key: string, field: string, delta: number): Promise<void>;
  /** Makes an existing key expire after `ttlMs`. */
  expire(key: string, ttlMs: number): Promise<void>;
  setAdd(key: string, members: readonly string[]): Promise<void>;
  setMembers(key: string): Promise<string[]>;
  setRemove(key: string, members: readonly string[]): Promise<void>;
  /** Prepends `values` (last one first, as LPUSH does) and keeps the newest `cap`. */
  listPushCapped(key: string, values: readonly string[], cap: number): Promise<void>;
  listRange(key: string, start: number, stop: number): Promise<string[]>;
  /** Resolves when the store answers. */
  ping(): Promise<void>;
}
