import { ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { isSelfOrAdmin, type CallerIdentity } from '@mqgw/service-kit';
import { priceLines } from './catalogue';
import type { CreateOrderDto, UpdateOrderDto } from './orders.dto';
import { OrdersStore, type Order } from './orders.store';

/**
 * Who may do what with orders. An order belongs to the user who placed it; its owner and
 * admins see and change it, and to anyone else it is a 404, exactly like a missing one.
 * Prices come from the catalogue and the status from the server, never from a request.
 */
@Injectable()
export class OrdersService {
  constructor(private readonly store: OrdersStore) {}

  create(caller: CallerIdentity, input: CreateOrderDto): Order {
    const userId = input.user_id ?? caller.userId;
    if (!isSelfOrAdmin(caller, userId)) {
      throw new ForbiddenException('only an admin may order for another user');
    }
    return this.store.create({
      user_id: userId,
      items: priceLines(input.items),
      currency: input.currency ?? 'USD',
    });
  }

  get(caller: CallerIdentity, id: string): Order {
    const order = this.store.find(id);
    if (!order || !isSelfOrAdmin(caller, order.user_id)) {
      throw new NotFoundException(`order ${id} not found`);
    }
    return order;
  }

  update(caller: CallerIdentity, id: string, changes: UpdateOrderDto): Order {
    const order = this.get(caller, id);
    return this.store.update(order, changes.items && priceLines(changes.items));
  }

  cancel(caller: CallerIdentity, id: string): Order {
    return this.store.cancel(this.get(caller, id));
  }

  forUser(caller: CallerIdentity, userId: string): Order[] {
    if (!isSelfOrAdmin(caller, userId)) {
      throw new ForbiddenException("only an admin may list another user's orders");
    }
    return this.store.forUser(userId);
  }
}
