import {
  ConflictException,
  Injectable,
  NotFoundException,
  UnprocessableEntityException,
} from '@nestjs/common';
import { newId } from '@mqgw/service-kit';

export interface Payment {
  payment_id: string;
  order_id: string;
  amount: number;
  currency: string;
  method: string;
  status: 'captured' | 'refunded' | 'partially_refunded';
  refunded_amount: number;
  created_at: string;
  updated_at: string;
}

export interface NewPayment {
  order_id: string;
  amount: number;
  currency: string;
  method?: string;
}

/** In-memory payments. Refunds never exceed what was captured. */
@Injectable()
export class PaymentsStore {
  private readonly payments = new Map<string, Payment>();

  create(input: NewPayment): Payment {
    const now = new Date().toISOString();
    const payment: Payment = {
      payment_id: newId('pay'),
      order_id: input.order_id,
      amount: input.amount,
      currency: input.currency,
      method: input.method ?? 'card',
      status: 'captured',
      refunded_amount: 0,
      created_at: now,
      updated_at: now,
    };
    this.payments.set(payment.payment_id, payment);
    return payment;
  }

  list(orderId?: string): Payment[] {
    const all = [...this.payments.values()];
    return orderId === undefined ? all : all.filter((p) => p.order_id === orderId);
  }

  get(id: string): Payment {
    const payment = this.payments.get(id);
    if (!payment) throw new NotFoundException(`payment ${id} not found`);
    return payment;
  }

  count(): number {
    return this.payments.size;
  }

  refund(id: string, amount?: number): Payment {
    const payment = this.get(id);
    const remaining = round(payment.amount - payment.refunded_amount);
    if (remaining <= 0) throw new ConflictException(`payment ${id} is already fully refunded`);
    const refund = amount ?? remaining;
    if (refund > remaining) {
      throw new UnprocessableEntityException(
        `refund ${refund} exceeds the refundable ${remaining}`,
      );
    }
    const refunded = round(payment.refunded_amount + refund);
    const updated: Payment = {
      ...payment,
      refunded_amount: refunded,
      status: refunded >= payment.amount ? 'refunded' : 'partially_refunded',
      updated_at: new Date().toISOString(),
    };
    this.payments.set(id, updated);
    return updated;
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
