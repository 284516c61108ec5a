import { ERROR_STATUS, type ErrorCode } from './error-code';

/**
 * Why a failure happened, for the gateway's own decisions (breaker, retry, fallback); never
 * on the wire. See `classifyFailure`.
 */
export type FailureReason =
  /** The instance refused the connection: nothing was sent. */
  | 'refused'
  /** A pooled connection the service had already closed: the request may not have arrived. */
  | 'stale'
  /** The connection broke after the request was sent: it may have been processed. */
  | 'lost'
  | 'timeout'
  /** The service answered 5xx. */
  | 'status'
  /** The service answered 4xx: it refused this request, and is up. */
  | 'rejected'
  /** The service answered something unusable (too large, not HTTP). */
  | 'unusable'
  | 'no_instance'
  | 'circuit_open'
  /** The request could not even be sent, because of what the caller put in it. */
  | 'invalid_request'
  /** The service's answer is larger than the gateway may pass on. */
  | 'too_large'
  /** Refused at admission: past half the gateway's limit, this caller holds its share. */
  | 'overloaded'
  /** Refused before a service call: the service is at its concurrency limit. */
  | 'service_at_limit'
  /** Refused because its deadline (the client's, or the route timeout) has passed. */
  | 'deadline'
  /** The service's success reply breaks the route's reply schema (reply validation `enforce`). */
  | 'contract';

/**
 * Reasons a client is told, as `error.reason`: what it can act on (back off, retry elsewhere,
 * stop waiting). The others stay inside the gateway.
 */
export const PUBLIC_REASONS: ReadonlySet<FailureReason> = new Set<FailureReason>([
  'overloaded',
  'service_at_limit',
  'deadline',
  'circuit_open',
  'no_instance',
  'too_large',
  'contract',
]);

export interface GatewayErrorOptions {
  /** Overrides the code's default status, for upstream statuses passed through. */
  statusCode?: number;
  /** Extra data for the client, such as the upstream's error body. */
  details?: unknown;
  /** Seconds until a retry may succeed. */
  retryAfter?: number;
  reason?: FailureReason;
  cause?: unknown;
}

/**
 * The one error type that crosses the wire. Anything else becomes `INTERNAL_ERROR`. A
 * GatewayError is an answer, not a bug: it captures no stack trace, which would cost
 * microseconds for every refusal of a flood (its `cause`, if any, keeps its own).
 */
export class GatewayError extends Error {
  readonly isGatewayError = true;
  readonly statusCode: number;
  readonly details?: unknown;
  readonly retryAfter?: number;
  readonly reason?: FailureReason;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: GatewayErrorOptions = {},
  ) {
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message, { cause: options.cause });
    Error.stackTraceLimit = stackTraceLimit;
    this.name = 'GatewayError';
    this.statusCode = options.statusCode ?? ERROR_STATUS[code];
    this.details = options.details;
    this.retryAfter = options.retryAfter;
    this.reason = options.reason;
  }
}

export function isGatewayError(value: unknown): value is GatewayError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { isGatewayError?: unknown }).isGatewayError === true
  );
}
