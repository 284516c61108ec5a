/**
 * No reply came in time, after every attempt the request was allowed. Whether the gateway
 * ran it is unknown: a request with an idempotency key may be sent again with that key.
 */
export class MqgwTimeoutError extends Error {
  readonly isMqgwTimeoutError = true;
  readonly code = 'TIMEOUT' as const;

  constructor(
    readonly topic: string,
    readonly attempts: number,
    readonly idempotencyKey: string | undefined,
  ) {
    super(`${topic}: no reply after ${attempts} attempt${attempts === 1 ? '' : 's'}`);
    this.name = 'MqgwTimeoutError';
  }
}

export function isMqgwTimeoutError(value: unknown): value is MqgwTimeoutError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { isMqgwTimeoutError?: unknown }).isMqgwTimeoutError === true
  );
}
