import {
  BadRequestException,
  Body,
  Controller,
  HttpCode,
  NotFoundException,
  Param,
  Post,
} from '@nestjs/common';
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
    const echo = { api_version: body?.api_version ?? null, action: body?.action ?? null };
    switch (action) {
      case 'create':
        return { ...echo, order: this.orders.create(validateNewOrder(body?.order ?? body)) };
      case 'get':
        return { ...echo, order: this.orders.get(requireId(body)) };
      case 'cancel':
        return { ...echo, order: this.orders.cancel(requireId(body)) };
      default:
        throw new NotFoundException(`unknown action ${action}`);
    }
  }
}

function requireId(body: V2Request): string {
  if (typeof body?.order_id !== 'string' || body.order_id === '') {
    throw new BadRequestException({
      statusCode: 400,
      error: 'Bad Request',
      message: ['order_id is required'],
    });
  }
  return body.order_id;
}
