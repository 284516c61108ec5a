import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { KvStore } from '@mqgw/store';
import {
  GatewayError,
  canonicalJson,
  clipText,
  isErrorReply,
  type ErrorReply,
  type Reply,
} from '@mqgw/contracts';
import { KV_STORE } from '../../state/state.tokens';
import { PIPELINE_CONFIG, type PipelineConfig } from '../pipeline.config';

/**
 * A done record without `reply` stands for a success too large to keep: the request ran,
 * as `requestId`.
 */
type Entry =
  | { state: 'pending'; fp: string }
  | { state: 'done'; fp: string; reply: Reply }
  | { state: 'done'; fp: string; requestId: string };

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
 * atomic put-if-absent, so exactly one request across all gateway instances wins it. One
 * principal holds at most `IDEMPOTENCY_MAX_KEYS` records and `IDEMPOTENCY_MAX_BYTES` of
 * store at a time; a claim reserves the room of the largest record, so the reply of a
 * request that ran always finds room. A record is at most `IDEMPOTENCY_MAX_RECORD_BYTES`:
 * a larger error reply is kept as its status, code and clipped message, and a larger
 * success reply is not kept (a duplicate learns that the request ran, not its data).
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
    const { maxRecordBytes } = this.config.idempotency;
    const put = await this.kv.putBounded(at.key, JSON.stringify(pending), pendingMs, {
      ...this.bound(at),
      reserveBytes: maxRecordBytes,
      onlyIfAbsent: true,
    });
    if (put.outcome === 'stored') return { kind: 'claimed' };
    if (put.outcome === 'full') {
      const { maxKeys, maxBytes } = this.config.idempotency;
      throw new GatewayError(
        'RATE_LIMITED',
        `this caller's idempotency records are at their bound (${maxKeys} keys, ${maxBytes} bytes); retry once some expire`,
        { retryAfter: 60 },
      );
    }
    return toClaim(JSON.parse(put.existing) as Entry);
  }

  async read(at: RecordKey): Promise<Claim | undefined> {
    const raw = await this.kv.get(at.key);
    return raw === null ? undefined : toClaim(JSON.parse(raw) as Entry);
  }

  async complete(at: RecordKey, fp: string, reply: Reply, ttlSeconds: number): Promise<void> {
    await this.kv.putBounded(at.key, this.record(fp, reply), ttlSeconds * 1000, this.bound(at));
  }

  async release(at: RecordKey): Promise<void> {
    await this.kv.deleteBounded(at.key, at.index);
  }

  private bound(at: RecordKey) {
    const { maxKeys, maxBytes } = this.config.idempotency;
    return { indexKey: at.index, max: maxKeys, maxBytes };
  }

  /** The record of a done request, at most `IDEMPOTENCY_MAX_RECORD_BYTES`. */
  private record(fp: string, reply: Reply): string {
    const whole = JSON.stringify({ state: 'done', fp, reply } satisfies Entry);
    if (Buffer.byteLength(whole) <= this.config.idempotency.maxRecordBytes) return whole;
    if (isErrorReply(reply)) {
      // A service that echoes what it refused would otherwise store the caller's payload.
      const { code, message, retry_after } = reply.error;
      const clipped: ErrorReply = {
        status: 'error',
        status_code: reply.status_code,
        error: {
          code,
          message: clipText(message),
          ...(retry_after !== undefined ? { retry_after } : {}),
        },
        request_id: reply.request_id,
      };
      return JSON.stringify({ state: 'done', fp, reply: clipped } satisfies Entry);
    }
    const requestId = String((reply as { request_id?: unknown }).request_id ?? '');
    return JSON.stringify({ state: 'done', fp, requestId } satisfies Entry);
  }
}

function toClaim(entry: Entry): Claim {
  if (entry.state === 'pending') return { kind: 'pending', fp: entry.fp };
  if ('reply' in entry) return { kind: 'done', fp: entry.fp, reply: entry.reply };
  return { kind: 'done', fp: entry.fp, reply: notKept(entry.requestId) };
}

/** What a duplicate of a request whose success reply was too large to keep gets. */
function notKept(requestId: string): ErrorReply {
  return {
    status: 'error',
    status_code: 409,
    error: {
      code: 'CONFLICT',
      message:
        'this idempotency-key was already used for this request, which succeeded; its reply was larger than IDEMPOTENCY_MAX_RECORD_BYTES and was not kept',
      details: { request_id: requestId },
    },
    request_id: requestId,
  };
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
