import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { canonicalJson } from '@mqgw/contracts';
import type { KvStore } from '@mqgw/store';
import type { GatewayRequest } from '../../request/gateway-request';
import { KV_STORE } from '../../state/state.tokens';
import { PIPELINE_CONFIG, type PipelineConfig } from '../pipeline.config';

/**
 * The last good answer of each read, per principal, in the shared store. A read is its
 * route, parameters and principal (the body of a GET is not sent upstream, so it is no part
 * of it): the stored key is a SHA-256 of those, stable across processes, and no caller ever
 * gets another caller's data. One principal keeps at most `FALLBACK_CACHE_MAX_ENTRIES`
 * copies and `FALLBACK_CACHE_MAX_BYTES` of store; past that, new reads are not cached. A
 * reply larger than `FALLBACK_CACHE_MAX_RECORD_BYTES` is never cached.
 */
@Injectable()
export class FallbackCache {
  private readonly lastWrite = new Map<string, number>();

  constructor(
    @Inject(KV_STORE) private readonly kv: KvStore,
    @Inject(PIPELINE_CONFIG) private readonly config: PipelineConfig,
  ) {}

  /** What identifies a read; `key` hashes it into a store key only when the store is used. */
  readOf(req: GatewayRequest): string {
    return `${req.route.template}\u0000${canonicalJson(req.params)}\u0000${req.principal.id}`;
  }

  /**
   * Keeps `data` as the stale copy of `read`. Rewritten at most once per second per
   * instance: under load that turns one store write per read into one per second.
   */
  async put(
    req: GatewayRequest,
    read: string,
    data: unknown,
    ttlSeconds: number,
    now = Date.now(),
  ): Promise<void> {
    const last = this.lastWrite.get(read);
    if (last !== undefined && now - last < 1000) return;
    if (this.lastWrite.size >= 10_000) this.lastWrite.clear();
    this.lastWrite.set(read, now);
    const { maxEntries, maxBytes, maxRecordBytes } = this.config.fallbackCache;
    const value = JSON.stringify(data ?? null);
    if (Buffer.byteLength(value) > maxRecordBytes) return;
    await this.kv.putBounded(this.key(req, read), value, ttlSeconds * 1000, {
      indexKey: `fallback:{${req.principal.id}}:index`,
      max: maxEntries,
      maxBytes,
    });
  }

  async get(req: GatewayRequest, read: string): Promise<unknown> {
    const raw = await this.kv.get(this.key(req, read));
    return raw === null ? undefined : JSON.parse(raw);
  }

  private key(req: GatewayRequest, read: string): string {
    const digest = createHash('sha256').update(read).digest('hex');
    return `fallback:{${req.principal.id}}:${req.route.service}:${digest}`;
  }
}
