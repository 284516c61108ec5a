import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { KvStore } from '@mqgw/store';
import { GatewayError, canonicalJson, type Reply } from '@mqgw/contracts';
import { KV_STORE } from '../../state/state.tokens';
import { PIPELINE_CONFIG, type PipelineConfig } from '../pipeline.config';

type Entry = { state: 'pending'; fp: string } | { state: 'done'; fp: string; reply: Reply };

export type Claim =
  | { kind: 'claimed' }
  | { kind: 'done'; fp: string; reply: Reply }
  | { kind: 'pending'; fp: string };

/** Where one principal's records are, and the index that bounds how many it holds. */
export interface RecordKey {
  key: string;
  index: string;
}

/**
 * Idempotency records in the shared store, one key per (principal, key). A claim is one
 * atomic put-if-absent, so exactly one request across all gateway instances wins it; and
 * one principal holds at most `IDEMPOTENCY_MAX_KEYS` records at a time.
 */
@Injectable()
export class IdempotencyStore {
  constructor(
    @Inject(KV_STORE) private readonly kv: KvStore,
    @Inject(PIPELINE_CONFIG) private readonly config: PipelineConfig,
  ) {}

  key(principal: string, idempotencyKey: string): RecordKey {
    const digest = createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32);
    return {
      key: `idempotency:{${principal}}:${digest}`,
      index: `idempotency:{${principal}}:index`,
    };
  }

  /** Claims the key for `pendingMs`, or returns what holds it. */
  async claim(at: RecordKey, fp: string, pendingMs: number): Promise<Claim> {
    const pending: Entry = { state: 'pending', fp };
    const put = await this.kv.putBounded(at.key, JSON.stringify(pending), pendingMs, {
      indexKey: at.index,
      max: this.config.idempotencyMaxKeys,
      onlyIfAbsent: true,
    });
    if (put.outcome === 'stored') return { kind: 'claimed' };
    if (put.outcome === 'full') {
      throw new GatewayError(
        'RATE_LIMITED',
        `this caller holds ${this.config.idempotencyMaxKeys} idempotency keys already; retry once some expire`,
        { retryAfter: 60 },
      );
    }
    const entry = JSON.parse(put.existing) as Entry;
    return entry.state === 'done'
      ? { kind: 'done', fp: entry.fp, reply: entry.reply }
      : { kind: 'pending', fp: entry.fp };
  }

  async read(at: RecordKey): Promise<Claim | undefined> {
    const raw = await this.kv.get(at.key);
    if (raw === null) return undefined;
    const entry = JSON.parse(raw) as Entry;
    return entry.state === 'done'
      ? { kind: 'done', fp: entry.fp, reply: entry.reply }
      : { kind: 'pending', fp: entry.fp };
  }

  async complete(at: RecordKey, fp: string, reply: Reply, ttlSeconds: number): Promise<void> {
    const entry: Entry = { state: 'done', fp, reply };
    await this.kv.putBounded(at.key, JSON.stringify(entry), ttlSeconds * 1000, {
      indexKey: at.index,
      max: this.config.idempotencyMaxKeys,
    });
  }

  async release(at: RecordKey): Promise<void> {
    await this.kv.delete(at.key);
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
