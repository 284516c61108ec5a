/**
 * What `putBounded` counts a key against: the owner's index of live keys, how many it may
 * hold and how many bytes they may take together.
 */
export interface PutBound {
  indexKey: string;
  /** Live keys the index may hold. */
  max: number;
  /** Bytes the index's live keys may take together, each counted by `boundedEntryBytes`. */
  maxBytes?: number;
  /**
   * Counts the value as at least this many bytes: room kept for the value that will later
   * replace it (a pending claim holds the room of its final record, so completing it never
   * finds the budget spent).
   */
  reserveBytes?: number;
  onlyIfAbsent?: boolean;
}

export type BoundedPut =
  { outcome: 'stored' } | { outcome: 'exists'; existing: string } | { outcome: 'full' };

/** What one index holds: live keys and their bytes (expired ones leave at the next put). */
export interface BoundedUsage {
  keys: number;
  bytes: number;
}

/**
 * What Redis spends on a bounded key beyond its value, measured with `MEMORY USAGE` on
 * Redis 7: the key's own object (its name and about 70 bytes), its member in the index
 * (the name and about 115 bytes) and its entry in the sizes hash (the name and about 70).
 */
export const BOUNDED_ENTRY_OVERHEAD_BYTES = 256;

/**
 * The bytes one bounded key is counted as: its value and three copies of its name, in
 * UTF-8, plus `BOUNDED_ENTRY_OVERHEAD_BYTES`. Redis may take up to a quarter more for a
 * large value, since its allocator rounds sizes up to a size class.
 */
export function boundedEntryBytes(key: string, valueBytes: number): number {
  return valueBytes + 3 * Buffer.byteLength(key) + BOUNDED_ENTRY_OVERHEAD_BYTES;
}

/** The hash beside an index that holds each key's counted bytes, and their total. */
export function boundedSizesKey(indexKey: string): string {
  return `${indexKey}:bytes`;
}

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
   * keys, or when the value would take the index past `maxBytes`. With `onlyIfAbsent`, an
   * existing value is returned instead (`exists`). Atomic; `key` and `indexKey` share a
   * hash tag on Redis Cluster.
   */
  putBounded(key: string, value: string, ttlMs: number, bound: PutBound): Promise<BoundedPut>;
  /** Deletes a key written by `putBounded` and gives its room back to `indexKey`. Atomic. */
  deleteBounded(key: string, indexKey: string): Promise<void>;
  /** What `indexKey` holds now. */
  boundedUsage(indexKey: string): Promise<BoundedUsage>;
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
