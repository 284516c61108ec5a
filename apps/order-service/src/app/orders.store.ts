import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { newId } from '@mqgw/service-kit';

export interface OrderItem {
  sku: string;
  quantity: number;
  price: number;
}

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
  currency?: string;
}

/** In-memory orders. A cancelled order can no longer change. */
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
      currency: input.currency ?? 'USD',
      status: 'pending',
      created_at: now,
      updated_at: now,
    };
    this.orders.set(order.order_id, order);
    return order;
  }

  get(id: string): Order {
    const order = this.orders.get(id);
    if (!order) throw new NotFoundException(`order ${id} not found`);
    return order;
  }

  update(id: string, changes: Partial<Pick<Order, 'items' | 'status'>>): Order {
    const order = this.assertOpen(this.get(id));
    const items = changes.items ?? order.items;
    const updated: Order = {
      ...order,
      items,
      total: totalOf(items),
      status: changes.status ?? order.status,
      updated_at: new Date().toISOString(),
    };
    this.orders.set(id, updated);
    return updated;
  }

  cancel(id: string): Order {
    const order = this.assertOpen(this.get(id));
    if (order.status === 'shipped') throw new ConflictException(`order ${id} has shipped`);
    const cancelled: Order = {
      ...order,
      status: 'cancelled',
      updated_at: new Date().toISOString(),
    };
    this.orders.set(id, cancelled);
    return cancelled;
  }

  forUser(userId: string): Order[] {
    return [...this.orders.values()].filter((o) => o.user_id === userId);
  }

  private assertOpen(order: Order): Order {
    if (order.status === 'cancelled')
      throw new ConflictException(`order ${order.order_id} is cancelled`);
    return order;
  }
}

function totalOf(items: OrderItem[]): number {
  return Math.round(items.reduce((sum, i) => sum + i.quantity * i.price, 0) * 100) / 100;
}
