import type { KvStore, PutBound } from './kv-store';

/**
 * A view of a store in which every key is under `prefix`: the gateway's stores name their
 * keys plainly, and one `REDIS_KEY_PREFIX` keeps deployments (or test runs) apart.
 */
export class PrefixedKvStore implements KvStore {
  constructor(
    private readonly inner: KvStore,
    private readonly prefix: string,
  ) {}

  get = (key: string) => this.inner.get(this.prefix + key);
  put = (key: string, value: string, ttlMs: number) =>
    this.inner.put(this.prefix + key, value, ttlMs);
  putIfAbsent = (key: string, value: string, ttlMs: number) =>
    this.inner.putIfAbsent(this.prefix + key, value, ttlMs);
  putBounded = (key: string, value: string, ttlMs: number, bound: PutBound) =>
    this.inner.putBounded(this.prefix + key, value, ttlMs, {
      ...bound,
      indexKey: this.prefix + bound.indexKey,
    });
  deleteBounded = (key: string, indexKey: string) =>
    this.inner.deleteBounded(this.prefix + key, this.prefix + indexKey);
  boundedUsage = (indexKey: string) => this.inner.boundedUsage(this.prefix + indexKey);
  delete = (key: string) => this.inner.delete(this.prefix + key);
  exists = (key: string) => this.inner.exists(this.prefix + key);
  hashSet = (key: string, fields: Record<string, string>) =>
    this.inner.hashSet(this.prefix + key, fields);
  hashGetAll = (key: string) => this.inner.hashGetAll(this.prefix + key);
  hashIncrement = (key: string, field: string, delta: number) =>
    this.inner.hashIncrement(this.prefix + key, field, delta);
  setAdd = (key: string, members: readonly string[]) =>
    this.inner.setAdd(this.prefix + key, members);
  setMembers = (key: string) => this.inner.setMembers(this.prefix + key);
  expire = (key: string, ttlMs: number) => this.inner.expire(this.prefix + key, ttlMs);
  setRemove = (key: string, members: readonly string[]) =>
    this.inner.setRemove(this.prefix + key, members);
  listPushCapped = (key: string, values: readonly string[], cap: number) =>
    this.inner.listPushCapped(this.prefix + key, values, cap);
  listRange = (key: string, start: number, stop: number) =>
    this.inner.listRange(this.prefix + key, start, stop);
  ping = () => this.inner.ping();
}
