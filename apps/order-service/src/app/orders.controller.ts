import { Body, Controller, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { Caller, type CallerIdentity } from '@mqgw/service-kit';
import { CreateOrderDto, UpdateOrderDto } from './orders.dto';
import { OrdersService } from './orders.service';

@Controller()
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post('orders')
  create(@Caller() caller: CallerIdentity, @Body() body: CreateOrderDto) {
    return this.orders.create(caller, body);
  }

  @Get('orders/:id')
  get(@Caller() caller: CallerIdentity, @Param('id') id: string) {
    return this.orders.get(caller, id);
  }

  @Put('orders/:id')
  update(@Caller() caller: CallerIdentity, @Param('id') id: string, @Body() body: UpdateOrderDto) {
    return this.orders.update(caller, id, body);
  }

  @Post('orders/:id/cancel')
  @HttpCode(200)
  cancel(@Caller() caller: CallerIdentity, @Param('id') id: string) {
    return this.orders.cancel(caller, id);
  }

  @Get('users/:userId/orders')
  forUser(@Caller() caller: CallerIdentity, @Param('userId') userId: string) {
    const orders = this.orders.forUser(caller, userId);
    return { user_id: userId, orders, count: orders.length };
  }
}
