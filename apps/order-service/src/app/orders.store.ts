import { ConflictException, Injectable } from '@nestjs/common';
import { newId } from '@mqgw/service-kit';
import { totalOf, type PricedLine } from './catalogue';

export type OrderItem = PricedLine;

export interface Order {
  order_id: string;
  user_id: string;
  items: OrderItem[];
  total: number;
  currency: string;
  status: 'pending' | 'confirmed' | 'shipped' | 'cancelled';
  created_at: string;
  updated_at: string;
}

export interface NewOrder {
  user_id: string;
  items: OrderItem[];
  currency: string;
}

/** In-memory orders. Only a pending order's items change; a cancelled order never does. */
@Injectable()
export class OrdersStore {
  private readonly orders = new Map<string, Order>();

  create(input: NewOrder): Order {
    const now = new Date().toISOString();
    const order: Order = {
      order_id: newId('ord'),
      user_id: input.user_id,
      items: input.items,
      total: totalOf(input.items),
      currency: input.currency,
      status: 'pending',
      created_at: now,
      updated_at: now,
    };
    this.orders.set(order.order_id, order);
    return order;
  }

  find(id: string): Order | undefined {
    return this.orders.get(id);
  }

  update(order: Order, items: OrderItem[] | undefined): Order {
    if (order.status !== 'pending') {
      throw new ConflictException(`order ${order.order_id} is ${order.status}, not pending`);
    }
    const next = items ?? order.items;
    const updated: Order = {
      ...order,
      items: next,
      total: totalOf(next),
      updated_at: new Date().toISOString(),
    };
    this.orders.set(order.order_id, updated);
    return updated;
  }

  cancel(order: Order): Order {
    if (order.status === 'cancelled' || order.status === 'shipped') {
      throw new ConflictException(`order ${order.order_id} is ${order.status}`);
    }
    const cancelled: Order = {
      ...order,
      status: 'cancelled',
      updated_at: new Date().toISOString(),
    };
    this.orders.set(order.order_id, cancelled);
    return cancelled;
  }

  forUser(userId: string): Order[] {
    return [...this.orders.values()].filter((o) => o.user_id === userId);
  }
}
