import type { ErrorReply } from './wire.types';

/** What a client knows about a request when it decides whether to send it again. */
export interface RetryContext {
  /** The route changes nothing (GET): running it twice is harmless. */
  safe: boolean;
  /** The request carries an idempotency key: the gateway runs it once, however often sent. */
  keyed: boolean;
}

/**
 * May a request that got this error reply be sent again?
 * - `retry_after` says the gateway ran nothing (rate limit, no instance, overload, a
 *   duplicate still in progress): always.
 * - 502, 503 and 504 say the service may have run it: only when that is harmless, on a safe
 *   route or with an idempotency key (the gateway keeps no 5xx reply, so the key lets the
 *   retry through, and the service dedups the call by the key it is given).
 * - A reply that broke the route's contract (`reason: contract`) would break it again:
 *   never. Nor anything else (4xx, 500): the same request gets the same answer.
 */
export function isRetryableReply(reply: ErrorReply, context: RetryContext): boolean {
  if (reply.error.retry_after !== undefined) return true;
  const reason =
    reply.error.reason ?? (reply.error.details as { reason?: unknown } | undefined)?.reason;
  if (reason === 'contract') return false;
  const transient =
    reply.status_code === 502 || reply.status_code === 503 || reply.status_code === 504;
  return transient && (context.safe || context.keyed);
}

/** No reply at all: sending again is harmless only on a safe route or with a key. */
export function isRetryableTimeout(context: RetryContext): boolean {
  return context.safe || context.keyed;
}

/**
 * How long to wait before attempt `attempt` (1 for the first retry): the gateway's
 * `retry_after` when it gave one, else exponential backoff from 100 ms with full jitter,
 * so that many clients that failed together do not retry together.
 */
export function retryDelayMs(
  attempt: number,
  retryAfterSeconds: number | undefined,
  random: () => number = Math.random,
): number {
  if (retryAfterSeconds !== undefined) return retryAfterSeconds * 1000;
  return Math.round(random() * 100 * 2 ** (attempt - 1));
}
