/**
 * A route as a typed client sees it: its topic (with a `${string}` for each parameter level),
 * the body it takes and the reply it resolves with. `mqgw generate types` writes a union of
 * these from a routes file; `connect<Routes>(...)` then checks every call against it.
 */
export interface RouteShape {
  topic: string;
  request: unknown;
  reply: unknown;
}

/** What an untyped client allows: any topic, any JSON object, any reply. */
export interface AnyRoute {
  topic: string;
  request: Record<string, unknown>;
  reply: Record<string, unknown>;
}

/** The route (or routes) of `R` whose topic `T` is. */
export type RouteFor<R extends RouteShape, T extends string> = R extends RouteShape
  ? T extends R['topic']
    ? R
    : never
  : never;

/** Options of one request. */
export interface RequestOptions {
  /** More user properties (headers) for this request only. */
  headers?: Record<string, string>;
  /**
   * The W3C `traceparent` of the caller's span, so the gateway's span (and the service's)
   * join its trace; default the client's `traceparent` option (docs/tracing.md).
   */
  traceparent?: string;
  /** Per attempt; default the client's. */
  timeoutMs?: number;
  /** Retries after the first attempt, where they are safe; default the client's. */
  retries?: number;
  /**
   * The `idempotency-key` to send; `false` sends none. By default the client makes one for
   * every request to a route that is not known to be safe (see `ClientOptions.routes`).
   */
  idempotencyKey?: string | false;
  qos?: 0 | 1 | 2;
  /** Stops waiting (and retrying); the request may still run. */
  signal?: AbortSignal;
}

/** The arguments after the topic: the body (optional when `{}` is a valid one) and options. */
export type BodyArgs<B> =
  Record<string, never> extends B
    ? [body?: B, options?: RequestOptions]
    : [body: B, options?: RequestOptions];
