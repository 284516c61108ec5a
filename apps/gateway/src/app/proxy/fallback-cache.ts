import { createHash } from 'node:crypto';
import type { KvStore } from '@mqgw/store';
import { canonicalJson } from '../middleware/idempotency.store';
import type { GatewayRequest } from '../transport/gateway-request';

/**
 * The last good answer of each read, per principal, in the shared store. The key is a SHA-256 of
 * route, parameters, canonical body and principal: stable across processes, and no
 * caller ever gets another caller's data.
 */
export class FallbackCache {
  constructor(
    private readonly kv: KvStore,
    private readonly prefix: string,
  ) {}

  key(req: GatewayRequest, body: unknown): string {
    const digest = createHash('sha256')
      .update(
        `${req.route.template}\u0000${canonicalJson(req.params)}\u0000${canonicalJson(body)}\u0000${req.principal.id}`,
      )
      .digest('hex');
    return `${this.prefix}fallback:{${req.route.service}}:${digest}`;
  }

  private readonly lastWrite = new Map<string, number>();

  /**
   * Keeps `data` as the stale copy. A key is rewritten at most once per second per
   * instance: under load that turns one store write per read into one per second.
   */
  async put(key: string, data: unknown, ttlSeconds: number, now = Date.now()): Promise<void> {
    const last = this.lastWrite.get(key);
    if (last !== undefined && now - last < 1000) return;
    if (this.lastWrite.size >= 10_000) this.lastWrite.clear();
    this.lastWrite.set(key, now);
    await this.kv.put(key, JSON.stringify(data ?? null), ttlSeconds * 1000);
  }

  async get(key: string): Promise<unknown> {
    const raw = await this.kv.get(key);
    return raw === null ? undefined : JSON.parse(raw);
  }
}
