import { type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { UPSTREAM_HEADER } from '@mqgw/contracts';
import { from, lastValueFrom, type Observable } from 'rxjs';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const KEY = /^[\x21-\x7e]{1,255}$/;

export interface IdempotencyKeyOptions {
  /** How long a completed call is remembered (default 24 h). */
  ttlMs?: number;
  /** At most this many keys are kept; the oldest go first (default 10,000). */
  maxEntries?: number;
  now?: () => number;
}

interface Entry {
  result: Promise<unknown>;
  expiresAt: number;
}

interface HttpRequestLike {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * Honours the `Idempotency-Key` header on unsafe methods: the first call with a key runs,
 * every later call with the same key (and the same caller, method and path) gets its result
 * instead of running again, and a concurrent duplicate waits for the first. Failed calls
 * are forgotten, so they may be retried. Replies are kept per `X-User-ID`, so one user's
 * key can never replay another user's reply.
 *
 * The gateway sends this header for every keyed request, so a client retry that reaches
 * the service after a gateway died mid-call does not execute twice. The stub services keep
 * the keys in memory, per process; a real service keeps them next to its data.
 */
export class IdempotencyKeyInterceptor implements NestInterceptor {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: IdempotencyKeyOptions = {}) {
    this.ttlMs = options.ttlMs ?? 24 * 3600_000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<HttpRequestLike>();
    const key = req.headers['idempotency-key'];
    if (!UNSAFE.has(req.method) || typeof key !== 'string' || !KEY.test(key)) {
      return next.handle();
    }
    const userId = req.headers[UPSTREAM_HEADER.userId];
    const id = JSON.stringify([typeof userId === 'string' ? userId : '', req.method, req.url, key]);
    const now = this.now();
    const known = this.entries.get(id);
    if (known && known.expiresAt > now) return from(known.result);

    const result = lastValueFrom(next.handle());
    this.entries.delete(id);
    this.entries.set(id, { result, expiresAt: now + this.ttlMs });
    result.catch(() => this.entries.delete(id));
    this.evict();
    return from(result);
  }

  get size(): number {
    return this.entries.size;
  }

  private evict(): void {
    for (const id of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) return;
      this.entries.delete(id);
    }
  }
}
