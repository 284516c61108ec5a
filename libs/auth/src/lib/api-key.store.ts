import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { KvStore } from '@mqgw/store';
import { AuthError } from './auth-error';
import { BoundedCache } from './bounded-cache';
import type { Identity } from './identity';

export interface ApiKeyRecord {
  id: string;
  owner: string;
  scopes: string[];
  created_at: string;
  revoked: boolean;
}

export interface ApiKeyStoreOptions {
  keyPrefix?: string;
  /** How long a looked-up key is trusted before asking Redis again; bounds revocation delay. */
  cacheTtlSeconds?: number;
  cacheMax?: number;
  /** How long an unknown or wrong key is refused without asking Redis again (default 30 s). */
  negativeTtlSeconds?: number;
  now?: () => number;
}

const KEY_FORMAT = /^mqgw_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

/**
 * API keys in the shared store (Redis in production). Only a SHA-256 of each key is stored, with its owner, scopes, creation
 * time and a revoked flag; the key itself is shown once, at creation. Lookups fail closed:
 * if Redis cannot answer, the key is refused.
 */
export class ApiKeyStore {
  private readonly prefix: string;
  private readonly cache: BoundedCache<ApiKeyRecord>;
  private readonly refused: BoundedCache<true>;
  private readonly ttlMs: number;
  private readonly negativeTtlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly kv: KvStore,
    options: ApiKeyStoreOptions = {},
  ) {
    this.prefix = options.keyPrefix ?? '';
    this.now = options.now ?? Date.now;
    this.ttlMs = (options.cacheTtlSeconds ?? 5) * 1000;
    this.negativeTtlMs = (options.negativeTtlSeconds ?? 30) * 1000;
    this.cache = new BoundedCache(options.cacheMax ?? 10_000, this.now);
    this.refused = new BoundedCache(options.cacheMax ?? 10_000, this.now);
  }

  /** Creates a key; the returned `key` is the only time its clear text exists. */
  async create(
    owner: string,
    scopes: readonly string[],
  ): Promise<{ key: string; record: ApiKeyRecord }> {
    if (!/^[\w.@:-]{1,128}$/.test(owner))
      throw new Error('owner must be 1-128 of [A-Za-z0-9_.@:-]');
    const id = randomBytes(6).toString('hex');
    const key = `mqgw_${id}_${randomBytes(32).toString('base64url')}`;
    const record: ApiKeyRecord = {
      id,
      owner,
      scopes: [...scopes],
      created_at: new Date(this.now()).toISOString(),
      revoked: false,
    };
    // Two keys in two cluster slots: record first, so a listed id always resolves.
    await this.kv.hashSet(this.recordKey(id), {
      ...record,
      scopes: JSON.stringify(record.scopes),
      revoked: '0',
      hash: digest(key),
    });
    await this.kv.setAdd(this.indexKey(), [id]);
    return { key, record };
  }

  async list(): Promise<ApiKeyRecord[]> {
    const ids = (await this.kv.setMembers(this.indexKey())).sort();
    const rows = await Promise.all(ids.map((id) => this.kv.hashGetAll(this.recordKey(id))));
    return rows.filter((row) => row['id']).map(toRecord);
  }

  async revoke(id: string): Promise<boolean> {
    if (!(await this.kv.exists(this.recordKey(id)))) return false;
    await this.kv.hashSet(this.recordKey(id), { revoked: '1' });
    return true;
  }

  /** Resolves a presented key to an identity, or throws `AuthError`. */
  async verify(presented: string): Promise<Identity> {
    const match = KEY_FORMAT.exec(presented);
    if (!match) throw new AuthError('malformed', 'malformed API key');
    const id = match[1];
    const presentedHash = digest(presented);
    let record = this.cache.get(presentedHash);
    if (!record) {
      if (this.refused.get(presentedHash)) throw new AuthError('invalid', 'invalid API key');
      let row: Record<string, string>;
      try {
        row = await this.kv.hashGetAll(this.recordKey(id));
      } catch {
        throw new AuthError('unavailable', 'API key store unavailable');
      }
      if (!row['hash'] || !safeEqual(row['hash'], presentedHash)) {
        this.refused.set(presentedHash, true, this.now() + this.negativeTtlMs);
        throw new AuthError('invalid', 'invalid API key');
      }
      record = toRecord(row);
      this.cache.set(presentedHash, record, this.now() + this.ttlMs);
    }
    if (record.revoked) throw new AuthError('revoked', 'API key revoked');
    return {
      principalId: `key:${record.id}`,
      kind: 'api-key',
      userId: record.owner,
      scopes: record.scopes,
      expiresAt: Number.POSITIVE_INFINITY,
    };
  }

  private recordKey(id: string): string {
    return `${this.prefix}apikey:{${id}}`;
  }

  private indexKey(): string {
    return `${this.prefix}apikeys`;
  }
}

function digest(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

function safeEqual(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

function toRecord(row: Record<string, string>): ApiKeyRecord {
  return {
    id: row['id'],
    owner: row['owner'],
    scopes: JSON.parse(row['scopes'] ?? '[]') as string[],
    created_at: row['created_at'],
    revoked: row['revoked'] === '1',
  };
}
