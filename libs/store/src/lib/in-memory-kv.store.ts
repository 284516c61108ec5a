import {
  boundedEntryBytes,
  type BoundedPut,
  type BoundedUsage,
  type KvStore,
  type PutBound,
} from './kv-store';

/** One owner's bounded keys: expiry and counted bytes of each, and their total. */
interface BoundedIndex {
  entries: Map<string, { expiresAt: number; bytes: number }>;
  bytes: number;
}

type Value = string | Map<string, string> | Set<string> | string[];

/**
 * KvStore in this process's memory, with the same semantics as Redis for the commands it
 * covers, expiry included. One process, nothing shared: the embedded mode's store.
 */
export class InMemoryKvStore implements KvStore {
  private readonly data = new Map<string, { value: Value; expiresAt: number }>();
  /** Bounded indexes live beside the data, as Redis keeps them in keys of their own. */
  private readonly indexes = new Map<string, BoundedIndex>();

  constructor(private readonly now: () => number = Date.now) {}

  async get(key: string): Promise<string | null> {
    const value = this.read(key);
    return typeof value === 'string' ? value : null;
  }

  async put(key: string, value: string, ttlMs: number): Promise<void> {
    this.write(key, value, ttlMs);
  }

  async putIfAbsent(key: string, value: string, ttlMs: number): Promise<string | null> {
    const existing = this.read(key);
    if (existing !== undefined) return typeof existing === 'string' ? existing : null;
    this.write(key, value, ttlMs);
    return null;
  }

  async putBounded(
    key: string,
    value: string,
    ttlMs: number,
    bound: PutBound,
  ): Promise<BoundedPut> {
    if (bound.onlyIfAbsent) {
      const existing = this.read(key);
      if (typeof existing === 'string') return { outcome: 'exists', existing };
    }
    const index = this.index(bound.indexKey);
    const counted = index.entries.get(key);
    if (!counted && index.entries.size >= bound.max) return { outcome: 'full' };
    const size = boundedEntryBytes(
      key,
      Math.max(Buffer.byteLength(value), bound.reserveBytes ?? 0),
    );
    const old = counted?.bytes ?? 0;
    if (bound.maxBytes && index.bytes - old + size > bound.maxBytes) return { outcome: 'full' };
    this.write(key, value, ttlMs);
    index.entries.set(key, { expiresAt: this.now() + ttlMs, bytes: size });
    index.bytes += size - old;
    return { outcome: 'stored' };
  }

  async deleteBounded(key: string, indexKey: string): Promise<void> {
    this.data.delete(key);
    const index = this.indexes.get(indexKey);
    const entry = index?.entries.get(key);
    if (!index || !entry) return;
    index.entries.delete(key);
    index.bytes -= entry.bytes;
  }

  async boundedUsage(indexKey: string): Promise<BoundedUsage> {
    const index = this.indexes.get(indexKey);
    return { keys: index?.entries.size ?? 0, bytes: index?.bytes ?? 0 };
  }

  /**
   * The index of `indexKey`, its expired keys pruned, values included: nothing reads an
   * expired record again, so without this its value would stay in memory for good.
   */
  private index(indexKey: string): BoundedIndex {
    let index = this.indexes.get(indexKey);
    if (!index) this.indexes.set(indexKey, (index = { entries: new Map(), bytes: 0 }));
    const now = this.now();
    for (const [member, entry] of index.entries) {
      if (entry.expiresAt > now) continue;
      index.entries.delete(member);
      index.bytes -= entry.bytes;
      this.read(member);
    }
    return index;
  }

  async delete(key: string): Promise<void> {
    this.data.delete(key);
  }

  async exists(key: string): Promise<boolean> {
    return this.read(key) !== undefined;
  }

  async hashSet(key: string, fields: Record<string, string>): Promise<void> {
    const hash = this.collection(key, () => new Map<string, string>());
    for (const [field, value] of Object.entries(fields)) hash.set(field, value);
  }

  async hashGetAll(key: string): Promise<Record<string, string>> {
    const hash = this.read(key);
    return hash instanceof Map ? Object.fromEntries(hash) : {};
  }

  async hashIncrement(key: string, field: string, delta: number): Promise<void> {
    const hash = this.collection(key, () => new Map<string, string>());
    hash.set(field, String(Number(hash.get(field) ?? 0) + delta));
  }

  async expire(key: string, ttlMs: number): Promise<void> {
    const entry = this.read(key) === undefined ? undefined : this.data.get(key);
    if (entry) entry.expiresAt = this.now() + ttlMs;
  }

  async setAdd(key: string, members: readonly string[]): Promise<void> {
    const set = this.collection(key, () => new Set<string>());
    for (const member of members) set.add(member);
  }

  async setMembers(key: string): Promise<string[]> {
    const set = this.read(key);
    return set instanceof Set ? [...set] : [];
  }

  async setRemove(key: string, members: readonly string[]): Promise<void> {
    const set = this.read(key);
    if (set instanceof Set) for (const member of members) set.delete(member);
  }

  async listPushCapped(key: string, values: readonly string[], cap: number): Promise<void> {
    const list = this.collection(key, () => [] as string[]);
    for (const value of values) list.unshift(value);
    if (list.length > cap) list.length = cap;
  }

  async listRange(key: string, start: number, stop: number): Promise<string[]> {
    const list = this.read(key);
    if (!Array.isArray(list)) return [];
    return list.slice(start, stop < 0 ? list.length + stop + 1 : stop + 1);
  }

  async ping(): Promise<void> {
    return;
  }

  private read(key: string): Value | undefined {
    const entry = this.data.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt !== 0 && entry.expiresAt <= this.now()) {
      this.data.delete(key);
      return undefined;
    }
    return entry.value;
  }

  private write(key: string, value: Value, ttlMs: number): void {
    this.data.set(key, { value, expiresAt: ttlMs > 0 ? this.now() + ttlMs : 0 });
  }

  private collection<T extends Value>(key: string, create: () => T): T {
    const existing = this.read(key);
    if (existing !== undefined && typeof existing !== 'string') return existing as T;
    const fresh = create();
    this.write(key, fresh, 0);
    return fresh;
  }
}
