/** Every error code the gateway puts on the wire, with the HTTP-style status it carries. */
export const ERROR_STATUS = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  /** A device that is not connected, asked for a command that waits for its answer. */
  DEVICE_OFFLINE: 409,
  GONE: 410,
  PAYLOAD_TOO_LARGE: 413,
  UNPROCESSABLE_ENTITY: 422,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  UPSTREAM_ERROR: 502,
  /** A device answered a command with an error of its own. */
  DEVICE_ERROR: 502,
  SERVICE_UNAVAILABLE: 503,
  GATEWAY_TIMEOUT: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

// The first code of a status is its name: device codes share statuses with general ones.
const CODE_BY_STATUS = new Map<number, ErrorCode>();
for (const [code, status] of Object.entries(ERROR_STATUS)) {
  if (!CODE_BY_STATUS.has(status)) CODE_BY_STATUS.set(status, code as ErrorCode);
}

/**
 * The code for an upstream 4xx that is passed through. Statuses without a name of their
 * own become `BAD_REQUEST`, but keep their real status code on the wire.
 */
export function codeForUpstreamStatus(status: number): ErrorCode {
  return CODE_BY_STATUS.get(status) ?? 'BAD_REQUEST';
}
