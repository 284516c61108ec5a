import { Body, Controller, HttpCode, NotFoundException, Param, Post } from '@nestjs/common';
import { requireString, v2Echo } from '@mqgw/service-kit';
import { OrdersStore } from './orders.store';
import { validateNewOrder } from './order.schema';

interface V2Request {
  api_version?: string;
  action?: string;
  order?: unknown;
  order_id?: string;
}

/** API v2: one POST per action; the reply echoes the `api_version` and `action` it received. */
@Controller('v2/orders')
export class OrdersV2Controller {
  constructor(private readonly orders: OrdersStore) {}

  @Post(':action')
  @HttpCode(200)
  act(@Param('action') action: string, @Body() body: V2Request) {
    const echo = v2Echo(body);
    switch (action) {
      case 'create':
        return { ...echo, order: this.orders.create(validateNewOrder(body?.order ?? body)) };
      case 'get':
        return { ...echo, order: this.orders.get(requireString(body, 'order_id')) };
      case 'cancel':
        return { ...echo, order: this.orders.cancel(requireString(body, 'order_id')) };
      default:
        throw new NotFoundException(`unknown action ${action}`);
    }
  }
}
