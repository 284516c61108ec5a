import type { ErrorCode, ErrorReply } from './wire.types';

/**
 * The gateway answered with an error: its code, its HTTP-style status, and when a retry may
 * succeed. `reply` is the whole envelope.
 */
export class MqgwError extends Error {
  readonly isMqgwError = true;
  readonly code: ErrorCode;
  readonly status: number;
  /** Seconds until a retry may succeed; set only when the gateway ran nothing. */
  readonly retryAfter?: number;
  readonly details?: unknown;
  readonly requestId: string;

  constructor(
    readonly topic: string,
    readonly reply: ErrorReply,
  ) {
    super(`${topic}: ${reply.error.code} ${reply.error.message}`);
    this.name = 'MqgwError';
    this.code = reply.error.code;
    this.status = reply.status_code;
    this.retryAfter = reply.error.retry_after;
    this.details = reply.error.details;
    this.requestId = reply.request_id;
  }
}

export function isMqgwError(value: unknown): value is MqgwError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { isMqgwError?: unknown }).isMqgwError === true
  );
}
