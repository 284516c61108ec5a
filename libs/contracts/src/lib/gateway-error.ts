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
  /** The service's success reply breaks the route's reply schema (reply validation `enforce`). */
  | 'contract'
  /** The reply topic is in another principal's reply space: not executed, not answered. */
  | 'reply_not_owned';

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

/** The one error type that crosses the wire. Anything else becomes `INTERNAL_ERROR`. */
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
    super(message, { cause: options.cause });
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
