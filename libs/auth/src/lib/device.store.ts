import type { KvStore } from '@mqgw/store';
import { AuthError } from './auth-error';
import { BoundedCache } from './bounded-cache';
import type { Identity } from './identity';

/**
 * A device name: a broker username that is also one topic level and an HTTP header value.
 * Not empty, no wildcard, no `$` prefix, no `/`, printable ASCII only. The same rule as
 * the broker client names `mqgw clients add` accepts.
 */
export const DEVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** A scope as it travels in `X-User-Scopes`: printable ASCII, no spaces. */
const SCOPE = /^[\x21-\x7e]{1,128}$/;

export interface DeviceRecord {
  name: string;
  scopes: string[];
  updated_at: string;
}

export interface DeviceStoreOptions {
  keyPrefix?: string;
  /** How long a device's scopes are trusted before asking the store again. */
  cacheTtlSeconds?: number;
  cacheMax?: number;
  now?: () => number;
}

/**
 * Devices that the broker authenticates (the device namespace, `DEVICE_TOPIC_PREFIX`): the
 * broker vouches for the name, and this store holds only what the broker cannot say, the
 * scopes each device has. A device without a record has none. Lookups are cached, absent
 * records too, so a fleet of devices without scopes costs one store read per device per
 * `cacheTtlSeconds`; when the store cannot answer, the device is refused (fail closed).
 */
export class DeviceStore {
  private readonly prefix: string;
  private readonly cache: BoundedCache<readonly string[]>;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly kv: KvStore,
    options: DeviceStoreOptions = {},
  ) {
    this.prefix = options.keyPrefix ?? '';
    this.now = options.now ?? Date.now;
    this.ttlMs = (options.cacheTtlSeconds ?? 5) * 1000;
    this.cache = new BoundedCache(options.cacheMax ?? 10_000, this.now);
  }

  /** Sets a device's scopes (replacing any), creating its record. */
  async set(name: string, scopes: readonly string[]): Promise<DeviceRecord> {
    assertName(name);
    const bad = scopes.filter((s) => !SCOPE.test(s));
    if (bad.length > 0) throw new Error(`scopes must be printable ASCII without spaces: ${bad}`);
    const record: DeviceRecord = {
      name,
      scopes: [...new Set(scopes)],
      updated_at: new Date(this.now()).toISOString(),
    };
    // Record first, so a listed name always resolves.
    await this.kv.hashSet(this.recordKey(name), {
      name,
      scopes: JSON.stringify(record.scopes),
      updated_at: record.updated_at,
    });
    await this.kv.setAdd(this.indexKey(), [name]);
    return record;
  }

  async list(): Promise<DeviceRecord[]> {
    const names = (await this.kv.setMembers(this.indexKey())).sort();
    const rows = await Promise.all(names.map((name) => this.kv.hashGetAll(this.recordKey(name))));
    return rows.filter((row) => row['name']).map(toRecord);
  }

  /** Removes a device's record, so it has no scopes; false when there was none. */
  async remove(name: string): Promise<boolean> {
    assertName(name);
    const existed = await this.kv.exists(this.recordKey(name));
    await this.kv.delete(this.recordKey(name));
    await this.kv.setRemove(this.indexKey(), [name]);
    return existed;
  }

  /** The identity of a device the broker authenticated as `name`. */
  async identify(name: string): Promise<Identity> {
    if (!DEVICE_NAME.test(name)) throw new AuthError('malformed', 'not a device name');
    let scopes = this.cache.get(name);
    if (scopes === undefined) {
      let row: Record<string, string>;
      try {
        row = await this.kv.hashGetAll(this.recordKey(name));
      } catch {
        throw new AuthError('unavailable', 'device store unavailable');
      }
      scopes = row['name'] ? toRecord(row).scopes : [];
      this.cache.set(name, scopes, this.now() + this.ttlMs);
    }
    return {
      principalId: `device:${name}`,
      kind: 'device',
      userId: name,
      scopes,
      expiresAt: Number.POSITIVE_INFINITY,
    };
  }

  private recordKey(name: string): string {
    return `${this.prefix}device:{${name}}`;
  }

  private indexKey(): string {
    return `${this.prefix}devices`;
  }
}

function assertName(name: string): void {
  if (!DEVICE_NAME.test(name)) {
    throw new Error(
      `device name ${JSON.stringify(name)}: use 1 to 64 of A-Z a-z 0-9 _ . -, starting with a letter or digit`,
    );
  }
}

function toRecord(row: Record<string, string>): DeviceRecord {
  return {
    name: row['name'],
    scopes: JSON.parse(row['scopes'] ?? '[]') as string[],
    updated_at: row['updated_at'],
  };
}
