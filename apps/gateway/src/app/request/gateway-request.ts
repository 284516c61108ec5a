import type { CompiledRoute } from '@mqgw/routes';

/** Who made a request, as established by the auth guard. */
export interface Principal {
  /** `user:<sub>`, `key:<id>` or `device:<name>`; the unit of rate limits and idempotency. */
  id: string;
  kind: 'user' | 'api-key' | 'device' | 'anonymous';
  /** The verified user id sent upstream as X-User-ID. */
  userId?: string;
  scopes: readonly string[];
}

export const ANONYMOUS: Principal = { id: 'anonymous', kind: 'anonymous', scopes: [] };

/**
 * Everything the pipeline knows about one request. It is the RPC context of the Nest
 * handler (`@Ctx()`), so guards and interceptors read and enrich the same object.
 */
export class GatewayRequest {
  principal: Principal = ANONYMOUS;
  /** Headers forwarded upstream, filled by the transform step. */
  forwardHeaders: Record<string, string> = {};
  /** Set once the upstream step runs: only such requests count in per-service metrics. */
  upstreamAttempted = false;
  /** The service called: the route's, or a fallback service the fallback step chose. */
  service: string | undefined;
  /**
   * Whose reply space the reply topic is in, when `REPLY_TOPIC_PATTERN` binds one
   * (`replies/{user}/#`); `auth` refuses any other principal.
   */
  replyOwner: string | undefined;
  /**
   * The broker username of a request under the device namespace (`DEVICE_TOPIC_PREFIX`);
   * `auth` makes it the principal.
   */
  device: string | undefined;

  constructor(
    readonly requestId: string,
    readonly topic: string,
    readonly route: CompiledRoute,
    readonly params: Record<string, string>,
    /** User properties, keys lower-cased. */
    readonly headers: Readonly<Record<string, string>>,
    /** `performance.now()` at receipt. */
    readonly receivedAt: number,
  ) {
    this.service = route.service;
  }

  /** Seconds since receipt, for `processing_time`. */
  elapsedSeconds(now = performance.now()): number {
    return Math.round(now - this.receivedAt) / 1000;
  }
}
