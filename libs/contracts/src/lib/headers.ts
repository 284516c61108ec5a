/** MQTT 5 user properties the gateway reads. Keys are compared lower-cased. */
export const REQUEST_HEADER = {
  authorization: 'authorization',
  apiKey: 'x-api-key',
  origin: 'origin',
  idempotencyKey: 'idempotency-key',
  traceparent: 'traceparent',
  /** When the client stops waiting: epoch milliseconds. MQTT 5 message expiry does as well. */
  deadline: 'deadline',
} as const;

/** Headers the gateway sets on every upstream call. */
export const UPSTREAM_HEADER = {
  requestId: 'x-request-id',
  service: 'x-gateway-service',
  userId: 'x-user-id',
  userScopes: 'x-user-scopes',
  /** How the gateway established the caller: `jwt`, `api-key` or `broker` (a device). */
  authMethod: 'x-gateway-auth',
  traceparent: 'traceparent',
  /** The client's idempotency key, scoped to its principal: `sha256(principal \n key)`. */
  idempotencyKey: 'idempotency-key',
} as const;

/**
 * Client-supplied headers that must never reach an upstream: identity is set by the
 * gateway from verified credentials only, and proxy headers are the gateway's to write.
 */
export function isReservedHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return (
    lower === UPSTREAM_HEADER.userId ||
    lower === UPSTREAM_HEADER.userScopes ||
    lower === UPSTREAM_HEADER.requestId ||
    lower.startsWith('x-forwarded-') ||
    lower.startsWith('x-gateway-')
  );
}
