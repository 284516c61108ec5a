import type { CompiledRoute } from '@mqgw/routes';
import type { RequestTrace, TraceIds } from './request-trace';
import { decodeBody, type BodySource } from './request-body';

/** Who made a request, as established by the auth step. */
export interface Principal {
  /** `user:<sub>`, `key:<id>` or `device:<name>`; the unit of limits, shares and idempotency. */
  id: string;
  kind: 'user' | 'api-key' | 'device' | 'anonymous';
  /** The verified user id sent upstream as X-User-ID. */
  userId?: string;
  scopes: readonly string[];
}

export const ANONYMOUS: Principal = { id: 'anonymous', kind: 'anonymous', scopes: [] };

/** What the transport learnt about a request before the pipeline: set once, at construction. */
export interface RequestOrigin {
  body: BodySource;
  /** Where the answer goes, if anywhere: what the gateway knows of who is asking. */
  replyTopic?: string;
  /**
   * Whose reply space the reply topic is in, when `REPLY_TOPIC_PATTERN` binds one
   * (`replies/{user}/#`): `auth` refuses any other caller.
   */
  replyOwner?: string;
  /**
   * The broker username of a request under the device namespace (`DEVICE_TOPIC_PREFIX`);
   * `auth` makes it the principal.
   */
  device?: string;
  /**
   * The client's own deadline, as `performance.now()` milliseconds: from the MQTT 5 message
   * expiry (which the broker counts down while the request waits) or a `deadline` header.
   */
  deadline?: number;
  /** The request's spans, when it is traced (docs/tracing.md); absent with tracing off. */
  trace?: RequestTrace;
}

/**
 * Headers for the service, each name written once by the step that owns it
 * (`forwardHeaders` the client's, `idempotency` its key); read by the upstream call.
 */
export class ForwardedHeaders {
  private readonly values: Record<string, string> = {};

  set(name: string, value: string): void {
    if (name in this.values) throw new Error(`forwarded header ${name} is already set`);
    this.values[name] = value;
  }

  has(name: string): boolean {
    return name in this.values;
  }

  /** A copy, to add the gateway's own headers to. */
  toObject(): Record<string, string> {
    return { ...this.values };
  }
}

/**
 * Everything the pipeline knows about one request: the RPC context of its Nest handler
 * (`@Ctx()`). What the transport knows is fixed at construction; each later field has one
 * writer, the step that owns it, and refuses a second write.
 */
export class GatewayRequest {
  readonly forwarded = new ForwardedHeaders();
  private currentPrincipal: Principal = ANONYMOUS;
  private fallbackService: string | undefined;
  private decoded: Record<string, unknown> | undefined;
  private attempted = false;
  private upstreamTime = 0;

  constructor(
    readonly requestId: string,
    readonly topic: string,
    readonly route: CompiledRoute,
    readonly params: Record<string, string>,
    /** User properties, keys lower-cased. */
    readonly headers: Readonly<Record<string, string>>,
    /** `performance.now()` at receipt. */
    readonly receivedAt: number,
    private readonly origin: RequestOrigin,
  ) {}

  get replyTopic(): string | undefined {
    return this.origin.replyTopic;
  }

  get replyOwner(): string | undefined {
    return this.origin.replyOwner;
  }

  get device(): string | undefined {
    return this.origin.device;
  }

  get clientDeadline(): number | undefined {
    return this.origin.deadline;
  }

  /** The request's spans, when it is traced: each step records into them. */
  get trace(): RequestTrace | undefined {
    return this.origin.trace;
  }

  /** The ids its log lines carry, when it is traced. */
  get traceIds(): TraceIds | undefined {
    return this.origin.trace?.ids;
  }

  /** The body, decoded on first use; `BAD_REQUEST` or `PAYLOAD_TOO_LARGE` if it cannot be. */
  body(): Record<string, unknown> {
    return (this.decoded ??= decodeBody(this.origin.body));
  }

  /** Who is asking; `ANONYMOUS` until the auth step says otherwise. */
  get principal(): Principal {
    return this.currentPrincipal;
  }

  /** Written once, by the auth step. */
  identify(principal: Principal): void {
    if (this.currentPrincipal !== ANONYMOUS) throw new Error('the principal is already set');
    this.currentPrincipal = principal;
  }

  /** The service called: the route's, or the fallback service once the fallback step says so. */
  get service(): string | undefined {
    return this.fallbackService ?? this.route.service;
  }

  /** Written once, by the fallback step. */
  fallBackTo(service: string): void {
    if (this.fallbackService !== undefined) throw new Error('the request already fell back');
    this.fallbackService = service;
  }

  /** Whether the upstream call was made: only such requests count in per-service metrics. */
  get upstreamAttempted(): boolean {
    return this.attempted;
  }

  /** Milliseconds spent waiting on services: what is left is the gateway's own time. */
  get upstreamMs(): number {
    return this.upstreamTime;
  }

  /** Written by the upstream call, once per attempt. */
  recordUpstreamAttempt(ms: number): void {
    this.attempted = true;
    this.upstreamTime += ms;
  }

  /** Seconds since receipt, for `processing_time`. */
  elapsedSeconds(now = performance.now()): number {
    return Math.round(now - this.receivedAt) / 1000;
  }
}
