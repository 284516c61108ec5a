import { Body, Controller, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { validateBody } from '@mqgw/service-kit';
import { OrdersStore, type Order } from './orders.store';
import { ORDER_UPDATE_SCHEMA, validateItems, validateNewOrder } from './order.schema';

@Controller()
export class OrdersController {
  constructor(private readonly orders: OrdersStore) {}

  @Post('orders')
  create(@Body() body: unknown) {
    return this.orders.create(validateNewOrder(body));
  }

  @Get('orders/:id')
  get(@Param('id') id: string) {
    return this.orders.get(id);
  }

  @Put('orders/:id')
  update(@Param('id') id: string, @Body() body: unknown) {
    const changes = validateBody<Partial<Pick<Order, 'items' | 'status'>>>(
      body,
      ORDER_UPDATE_SCHEMA,
      {
        partial: true,
      },
    );
    return this.orders.update(id, {
      ...changes,
      ...(changes.items ? { items: validateItems(changes.items) } : {}),
    });
  }

  @Post('orders/:id/cancel')
  @HttpCode(200)
  cancel(@Param('id') id: string) {
    return this.orders.cancel(id);
  }

  @Get('users/:userId/orders')
  forUser(@Param('userId') userId: string) {
    const orders = this.orders.forUser(userId);
    return { user_id: userId, orders, count: orders.length };
  }
}
