import {
  Body,
  Controller,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import { Caller, type CallerIdentity } from '@mqgw/service-kit';
import { CreatePaymentDto, ListPaymentsQuery, RefundDto } from './payments.dto';
import { OrdersClient } from './orders.client';
import { PaymentsStore } from './payments.store';

@Controller('payments')
export class PaymentsController {
  constructor(
    private readonly payments: PaymentsStore,
    private readonly orders: OrdersClient,
  ) {}

  @Post()
  async create(@Caller() caller: CallerIdentity, @Body() body: CreatePaymentDto) {
    const order = await this.orders.find(caller, body.order_id);
    if (!order) throw new NotFoundException(`order ${body.order_id} not found`);
    return this.payments.create(caller, body, order);
  }

  @Post(':id/refund')
  @HttpCode(200)
  refund(@Caller() caller: CallerIdentity, @Param('id') id: string, @Body() body: RefundDto) {
    return this.payments.refund(caller, id, body.amount);
  }

  @Get()
  list(@Caller() caller: CallerIdentity, @Query() query: ListPaymentsQuery) {
    return this.payments.list(caller, query.order_id);
  }

  @Get(':id')
  get(@Caller() caller: CallerIdentity, @Param('id') id: string) {
    return this.payments.get(caller, id);
  }
}
