/*
 * The gateway's wire contract (docs/mqtt-api.md), as this package's users see it. Kept here
 * rather than imported, so the published package stands alone; a spec checks it against the
 * gateway's own (`@mqgw/contracts`).
 */

/** Every error code the gateway puts on the wire. */
export const ERROR_CODES = [
  'BAD_REQUEST',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'CONFLICT',
  'GONE',
  'PAYLOAD_TOO_LARGE',
  'UNPROCESSABLE_ENTITY',
  'RATE_LIMITED',
  'INTERNAL_ERROR',
  'UPSTREAM_ERROR',
  'SERVICE_UNAVAILABLE',
  'GATEWAY_TIMEOUT',
  // Answers of the HTTP API for commands to devices.
  'DEVICE_OFFLINE',
  'DEVICE_ERROR',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** A success reply: the service's answer in `data`. */
export interface SuccessReply<T = unknown> {
  /** `fallback` when the route's fallback service answered. */
  status: 'success' | 'fallback';
  data: T;
  request_id: string;
  service: string;
  /** Seconds from receipt at the gateway to the reply. */
  processing_time: number;
  /** `cache` when a stale copy answered while the service was unavailable. */
  source?: 'cache';
}

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  /**
   * Why, where a client can act on it: `overloaded`, `service_at_limit`, `deadline`,
   * `circuit_open`, `no_instance` (all `SERVICE_UNAVAILABLE`), `too_large`, `contract`.
   */
  reason?: string;
  details?: unknown;
  /** Seconds until a retry may succeed: present when nothing ran. */
  retry_after?: number;
}

export interface ErrorReply {
  status: 'error';
  status_code: number;
  error: ErrorBody;
  request_id: string;
}

/** One JSON Schema violation of a refused body, in a `BAD_REQUEST`'s `details.violations`. */
export interface Violation {
  pointer: string;
  message: string;
}
