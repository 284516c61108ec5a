import type { Reply } from '@mqgw/contracts';
import type { GatewayRequest } from './gateway-request';
import type { DropReason } from './unanswerable';

export type { DropReason };

/**
 * What the transport reports about each request; metrics and logs subscribe here, so the
 * transport stays free of either. Implementations must not block: they are on the hot path.
 */
export abstract class RequestObserver {
  /** A request was answered (or, for fire-and-forget, finished) with `reply`. */
  abstract completed(
    request: GatewayRequest | undefined,
    topic: string,
    reply: Reply,
    replied: boolean,
  ): void;
  /** A request was dropped without a reply. */
  abstract dropped(reason: DropReason, topic: string, detail?: string): void;
}
