import type { BoundedPut, KvStore, PutBound } from './kv-store';

type Value = string | Map<string, string> | Set<string> | string[] | Map<string, number>;

/**
 * KvStore in this process's memory, with the same semantics as Redis for the commands it
 * covers, expiry included. One process, nothing shared: the embedded mode's store.
 */
export class InMemoryKvStore implements KvStore {
  private readonly data = new Map<string, { value: Value; expiresAt: number }>();

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
    const now = this.now();
    const index = this.collection(bound.indexKey, () => new Map<string, number>()) as Map<
      string,
      number
    >;
    for (const [member, expiresAt] of index) if (expiresAt <= now) index.delete(member);
    if (!index.has(key) && index.size >= bound.max) return { outcome: 'full' };
    this.write(key, value, ttlMs);
    index.set(key, now + ttlMs);
    return { outcome: 'stored' };
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
