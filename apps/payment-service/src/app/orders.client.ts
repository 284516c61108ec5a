import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import { UPSTREAM_HEADER } from '@mqgw/contracts';
import type { CallerIdentity } from '@mqgw/service-kit';

/** What a payment needs to know of an order, as the order service answers it. */
export interface PayableOrder {
  order_id: string;
  user_id: string;
  total: number;
  currency: string;
  status: string;
}

export const ORDER_SERVICE_URL = Symbol('ORDER_SERVICE_URL');

/**
 * The order service, asked as the caller: it answers an order only to its owner (or an
 * admin), and a 404 to anyone else, so an order found here is one the caller may pay.
 * A failure to ask is a 503: a payment is never taken on an order nobody checked.
 */
@Injectable()
export class OrdersClient {
  constructor(@Inject(ORDER_SERVICE_URL) private readonly baseUrl: string) {}

  async find(caller: CallerIdentity, orderId: string): Promise<PayableOrder | undefined> {
    const headers: Record<string, string> = { [UPSTREAM_HEADER.userId]: caller.userId };
    if (caller.scopes.length > 0) headers[UPSTREAM_HEADER.userScopes] = caller.scopes.join(' ');
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}/orders/${encodeURIComponent(orderId)}`, {
        headers,
        signal: AbortSignal.timeout(5000),
      });
    } catch {
      throw new ServiceUnavailableException('the order service cannot be reached');
    }
    if (!response.ok) {
      await response.body?.cancel();
      if (response.status === 404) return undefined;
      throw new ServiceUnavailableException(`the order service answered ${response.status}`);
    }
    return (await response.json()) as PayableOrder;
  }
}
