import { clipText } from './clip';
import { PUBLIC_REASONS, isGatewayError } from './gateway-error';
import type { ErrorCode } from './error-code';

export interface SuccessReply<T = unknown> {
  status: 'success';
  data: T;
  request_id: string;
  service: string;
  /** Seconds from receipt at the gateway to the reply. */
  processing_time: number;
}

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  /** Why, where the client can act on it: see `PUBLIC_REASONS`. */
  reason?: string;
  details?: unknown;
  retry_after?: number;
}

export interface ErrorReply {
  status: 'error';
  status_code: number;
  error: ErrorBody;
  request_id: string;
}

export type Reply = SuccessReply | ErrorReply | Record<string, unknown>;

export function isErrorReply(reply: unknown): reply is ErrorReply {
  return typeof reply === 'object' && reply !== null && (reply as ErrorReply).status === 'error';
}

/**
 * Turns any thrown value into the wire's error envelope. Only a `GatewayError` keeps its
 * message, clipped to `MAX_MESSAGE_CHARS` (`details` keeps a service's whole error body);
 * anything else is reported as `INTERNAL_ERROR` with a fixed message, so no stack trace or
 * internal detail ever reaches a client.
 */
export function toErrorReply(error: unknown, requestId: string): ErrorReply {
  if (isGatewayError(error)) {
    const body: ErrorBody = { code: error.code, message: clipText(error.message) };
    if (error.reason !== undefined && PUBLIC_REASONS.has(error.reason)) body.reason = error.reason;
    if (error.details !== undefined) body.details = error.details;
    if (error.retryAfter !== undefined) body.retry_after = error.retryAfter;
    return { status: 'error', status_code: error.statusCode, error: body, request_id: requestId };
  }
  return {
    status: 'error',
    status_code: 500,
    error: { code: 'INTERNAL_ERROR', message: 'internal error' },
    request_id: requestId,
  };
}
