/**
 * Why a request is neither executed nor answered. Each is counted, under this name, in
 * `mqgw_dropped_requests_total{reason}`.
 */
export type DropReason =
  /** Its reply topic is one the gateway must never publish to. */
  | 'unsafe_response_topic'
  /** Under the device namespace, its device level cannot be a device. */
  | 'invalid_device'
  /** A retained request would run again for every new subscriber. */
  | 'retained'
  /** Its reply topic is in another caller's reply space. */
  | 'not_your_reply_space'
  /** An answer for a caller not yet known, into a space bound to a user. */
  | 'unauthenticated_reply'
  /** Too many answers to callers not yet known on one reply topic. */
  | 'reply_limited'
  | 'publish_failed';

/**
 * A request that must get no answer at all, and must not run: thrown wherever that is found
 * out (decoding its reply topic, or `auth` finding the reply aimed at another's space), and
 * recognised by `isUnanswerable`, never by a message.
 */
export class UnanswerableRequest extends Error {
  readonly isUnanswerable = true;

  constructor(
    readonly reason: DropReason,
    /** The finer why, for the log line and the dashboard. */
    readonly detail: string = reason,
  ) {
    super(`request dropped: ${detail}`);
    this.name = 'UnanswerableRequest';
  }
}

export function isUnanswerable(error: unknown): error is UnanswerableRequest {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { isUnanswerable?: unknown }).isUnanswerable === true
  );
}
