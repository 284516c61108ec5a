import { ERROR_STATUS, type ErrorCode } from './error-code';

export interface GatewayErrorOptions {
  /** Overrides the code's default status, for upstream statuses passed through. */
  statusCode?: number;
  /** Extra data for the client, such as the upstream's error body. */
  details?: unknown;
  /** Seconds until a retry may succeed. */
  retryAfter?: number;
  cause?: unknown;
}

/** The one error type that crosses the wire. Anything else becomes `INTERNAL_ERROR`. */
export class GatewayError extends Error {
  readonly isGatewayError = true;
  readonly statusCode: number;
  readonly details?: unknown;
  readonly retryAfter?: number;

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
  }
}

export function isGatewayError(value: unknown): value is GatewayError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { isGatewayError?: unknown }).isGatewayError === true
  );
}
