import {
  BadRequestException,
  Body,
  Controller,
  HttpCode,
  NotFoundException,
  Param,
  Post,
} from '@nestjs/common';
import { Caller, v2Echo, type CallerIdentity } from '@mqgw/service-kit';
import { V2CreateOrderDto, V2OrderIdDto, type CreateOrderDto } from './orders.dto';
import { OrdersService } from './orders.service';

/**
 * API v2: one POST per action; the reply echoes the `api_version` and `action` it received.
 * The same rules as v1 apply: each action has its own body, and unknown properties are a 400.
 */
@Controller('v2/orders')
export class OrdersV2Controller {
  constructor(private readonly orders: OrdersService) {}

  @Post('create')
  @HttpCode(200)
  create(@Caller() caller: CallerIdentity, @Body() body: V2CreateOrderDto) {
    return { ...v2Echo(body), order: this.orders.create(caller, orderOf(body)) };
  }

  @Post('get')
  @HttpCode(200)
  get(@Caller() caller: CallerIdentity, @Body() body: V2OrderIdDto) {
    return { ...v2Echo(body), order: this.orders.get(caller, body.order_id) };
  }

  @Post('cancel')
  @HttpCode(200)
  cancel(@Caller() caller: CallerIdentity, @Body() body: V2OrderIdDto) {
    return { ...v2Echo(body), order: this.orders.cancel(caller, body.order_id) };
  }

  @Post(':action')
  unknown(@Param('action') action: string): never {
    throw new NotFoundException(`unknown action ${action}`);
  }
}

/** The order of a v2 create: nested as `order`, or at the top level, never both. */
function orderOf(body: V2CreateOrderDto): CreateOrderDto {
  if (body.order == null) {
    return { items: body.items ?? [], currency: body.currency, user_id: body.user_id };
  }
  if (body.items != null || body.currency != null || body.user_id != null) {
    throw new BadRequestException(['the order goes either in order or at the top level, not both']);
  }
  return body.order;
}
