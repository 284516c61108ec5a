import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { validateBody, type Schema } from '@mqgw/service-kit';
import { PaymentsStore, type NewPayment } from './payments.store';

const PAYMENT_SCHEMA: Schema = {
  order_id: { type: 'string', required: true, maxLength: 100 },
  amount: { type: 'number', required: true, min: 0.01, max: 1_000_000 },
  currency: { type: 'string', required: true, pattern: /^[A-Z]{3}$/ },
  method: { type: 'enum', values: ['card', 'bank_transfer', 'wallet'] },
};

const REFUND_SCHEMA: Schema = {
  amount: { type: 'number', min: 0.01 },
};

@Controller('payments')
export class PaymentsController {
  constructor(private readonly payments: PaymentsStore) {}

  @Post()
  create(@Body() body: unknown) {
    return this.payments.create(validateBody<NewPayment>(body, PAYMENT_SCHEMA));
  }

  @Post(':id/refund')
  @HttpCode(200)
  refund(@Param('id') id: string, @Body() body: unknown) {
    const { amount } = validateBody<{ amount?: number }>(body ?? {}, REFUND_SCHEMA);
    return this.payments.refund(id, amount);
  }

  @Get()
  list(@Query('order_id') orderId?: string) {
    return this.payments.list(orderId);
  }

  @Get(':id')
  get(@Param('id') id: string) {
    return this.payments.get(id);
  }
}
