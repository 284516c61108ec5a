import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { KvStore } from '@mqgw/store';
import { canonicalJson, type Reply } from '@mqgw/contracts';
import { KV_STORE } from '../../state/state.tokens';

type Entry = { state: 'pending'; fp: string } | { state: 'done'; fp: string; reply: Reply };

export type Claim =
  | { kind: 'claimed' }
  | { kind: 'done'; fp: string; reply: Reply }
  | { kind: 'pending'; fp: string };

/**
 * Idempotency records in the shared store, one key per (principal, key). A claim is one
 * atomic put-if-absent, so exactly one request across all gateway instances wins it.
 */
@Injectable()
export class IdempotencyStore {
  constructor(@Inject(KV_STORE) private readonly kv: KvStore) {}

  key(principal: string, idempotencyKey: string): string {
    const digest = createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32);
    return `idempotency:{${principal}}:${digest}`;
  }

  /** Claims the key for `pendingMs`, or returns what holds it. */
  async claim(key: string, fp: string, pendingMs: number): Promise<Claim> {
    const pending: Entry = { state: 'pending', fp };
    const previous = await this.kv.putIfAbsent(key, JSON.stringify(pending), pendingMs);
    if (previous === null) return { kind: 'claimed' };
    const entry = JSON.parse(previous) as Entry;
    return entry.state === 'done'
      ? { kind: 'done', fp: entry.fp, reply: entry.reply }
      : { kind: 'pending', fp: entry.fp };
  }

  async read(key: string): Promise<Claim | undefined> {
    const raw = await this.kv.get(key);
    if (raw === null) return undefined;
    const entry = JSON.parse(raw) as Entry;
    return entry.state === 'done'
      ? { kind: 'done', fp: entry.fp, reply: entry.reply }
      : { kind: 'pending', fp: entry.fp };
  }

  async complete(key: string, fp: string, reply: Reply, ttlSeconds: number): Promise<void> {
    const entry: Entry = { state: 'done', fp, reply };
    await this.kv.put(key, JSON.stringify(entry), ttlSeconds * 1000);
  }

  async release(key: string): Promise<void> {
    await this.kv.delete(key);
  }
}

/** The request's identity for idempotency: same route, parameters and canonical body. */
export function fingerprint(
  template: string,
  params: Record<string, string>,
  body: unknown,
): string {
  return createHash('sha256')
    .update(template)
    .update('\u0000')
    .update(canonicalJson(params))
    .update('\u0000')
    .update(canonicalJson(body))
    .digest('hex');
}
