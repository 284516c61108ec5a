/** The client was closed, or lost its connection with reconnection turned off. */
export class MqgwClosedError extends Error {
  readonly isMqgwClosedError = true;
  readonly code = 'CLOSED' as const;

  constructor(
    readonly topic: string,
    reason: string,
  ) {
    super(`${topic}: ${reason}`);
    this.name = 'MqgwClosedError';
  }
}

export function isMqgwClosedError(value: unknown): value is MqgwClosedError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { isMqgwClosedError?: unknown }).isMqgwClosedError === true
  );
}
