import { createHash } from 'node:crypto';
import {
  Inject,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { Observable } from 'rxjs';
import {
  GatewayError,
  REQUEST_HEADER,
  UPSTREAM_HEADER,
  isErrorReply,
  isGatewayError,
  toErrorReply,
  type Reply,
} from '@mqgw/contracts';
import type { GatewayRequest } from '../../request/gateway-request';
import { PIPELINE_CONFIG, type PipelineConfig } from '../pipeline.config';
import { promised, requestOf, settled } from '../pipeline-step';
import { IdempotencyStore, fingerprint, type Claim, type RecordKey } from './idempotency.store';

const KEY = /^[\x21-\x7e]{1,255}$/;
const POLL_MS = 25;

/**
 * `idempotency`, after `auth` so the principal is known: executes a request that carries an
 * `idempotency-key` at most once per (principal, key); a duplicate never reaches the steps
 * below. The service gets a key of its own (a hash of principal and key), so that it can
 * dedup too should a gateway die between the call and recording its reply.
 * A duplicate gets the stored reply; a concurrent duplicate waits for the first. Replies
 * with a 5xx status are not stored, so the client may retry them. Without Redis a keyed
 * request fails closed (503) rather than risk running twice.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly store: IdempotencyStore,
    @Inject(PIPELINE_CONFIG) private readonly config: PipelineConfig,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = requestOf(context);
    const idempotencyKey = req.headers[REQUEST_HEADER.idempotencyKey];
    if (idempotencyKey === undefined) return next.handle();
    if (!KEY.test(idempotencyKey)) {
      throw new GatewayError(
        'BAD_REQUEST',
        'idempotency-key must be 1 to 255 printable ASCII characters',
      );
    }
    req.forwarded.set(
      UPSTREAM_HEADER.idempotencyKey,
      createHash('sha256').update(`${req.principal.id}\n${idempotencyKey}`).digest('hex'),
    );
    return promised(this.run(req, idempotencyKey, next));
  }

  private async run(
    req: GatewayRequest,
    idempotencyKey: string,
    next: CallHandler,
  ): Promise<unknown> {
    const key = this.store.key(req.principal.id, idempotencyKey);
    const fp = fingerprint(req.route.template, req.params, req.body());
    const timeoutMs = req.route.timeoutMs ?? this.config.upstreamTimeoutMs;
    const pendingMs = timeoutMs + 5_000;

    let claim: Claim = await this.guarded(() => this.store.claim(key, fp, pendingMs));
    const deadline = Date.now() + pendingMs;
    while (claim.kind === 'pending') {
      this.assertSameRequest(claim.fp, fp);
      if (Date.now() > deadline) {
        throw new GatewayError(
          'CONFLICT',
          'a request with this idempotency-key is still in progress',
          { retryAfter: 1 },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      // When the first attempt gave up without a reply, the key is free again: take over.
      claim =
        (await this.guarded(() => this.store.read(key))) ??
        (await this.guarded(() => this.store.claim(key, fp, pendingMs)));
    }
    if (claim.kind === 'done') {
      this.assertSameRequest(claim.fp, fp);
      return claim.reply;
    }

    let reply: Reply;
    try {
      reply = (await settled(next)) as Reply;
    } catch (error) {
      const errorReply = toErrorReply(error, req.requestId);
      await this.settle(key, fp, errorReply);
      throw error;
    }
    await this.settle(key, fp, reply);
    return reply;
  }

  private async settle(key: RecordKey, fp: string, reply: Reply): Promise<void> {
    try {
      if (isErrorReply(reply) && reply.status_code >= 500) await this.store.release(key);
      else await this.store.complete(key, fp, reply, this.config.idempotencyTtlSeconds);
    } catch {
      // The pending claim expires on its own; the reply still goes out.
    }
  }

  private assertSameRequest(stored: string, fp: string): void {
    if (stored !== fp) {
      throw new GatewayError(
        'UNPROCESSABLE_ENTITY',
        'idempotency-key was already used for a different request',
      );
    }
  }

  private async guarded<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (error) {
      if (isGatewayError(error)) throw error;
      throw new GatewayError('SERVICE_UNAVAILABLE', 'idempotency store unavailable', {
        retryAfter: 5,
      });
    }
  }
}
