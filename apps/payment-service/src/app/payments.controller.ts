import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { Caller, type CallerIdentity } from '@mqgw/service-kit';
import { CreatePaymentDto, ListPaymentsQuery, RefundDto } from './payments.dto';
import { PaymentsStore } from './payments.store';

@Controller('payments')
export class PaymentsController {
  constructor(private readonly payments: PaymentsStore) {}

  @Post()
  create(@Caller() caller: CallerIdentity, @Body() body: CreatePaymentDto) {
    return this.payments.create(caller, body);
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
