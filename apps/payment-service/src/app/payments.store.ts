import {
  ConflictException,
  Injectable,
  NotFoundException,
  UnprocessableEntityException,
} from '@nestjs/common';
import { isSelfOrAdmin, newId, type CallerIdentity } from '@mqgw/service-kit';
import type { PayableOrder } from './orders.client';
import type { CreatePaymentDto, PaymentMethod } from './payments.dto';

export interface Payment {
  payment_id: string;
  /** Who paid: the caller that created it. */
  user_id: string;
  order_id: string;
  amount: number;
  currency: string;
  method: PaymentMethod;
  status: 'captured' | 'refunded' | 'partially_refunded';
  refunded_amount: number;
  created_at: string;
  updated_at: string;
}

/**
 * In-memory payments. A payment belongs to the user who made it: its owner and admins see
 * and refund it, and to anyone else it is a 404, exactly like a missing one. A payment
 * charges its order's total, in the order's currency, and only the order's owner (or an
 * admin) pays it. Refunds never exceed what was captured.
 */
@Injectable()
export class PaymentsStore {
  private readonly payments = new Map<string, Payment>();

  create(caller: CallerIdentity, input: CreatePaymentDto, order: PayableOrder): Payment {
    // The order service answers only the owner; checked again here, as the money moves here.
    if (!isSelfOrAdmin(caller, order.user_id) || order.order_id !== input.order_id) {
      throw new NotFoundException(`order ${input.order_id} not found`);
    }
    if (order.status === 'cancelled') {
      throw new ConflictException(`order ${order.order_id} is cancelled`);
    }
    if (input.amount !== undefined && input.amount !== order.total) {
      throw new UnprocessableEntityException(
        `amount ${input.amount} is not the order's total ${order.total}`,
      );
    }
    if (input.currency !== undefined && input.currency !== order.currency) {
      throw new UnprocessableEntityException(
        `currency ${input.currency} is not the order's currency ${order.currency}`,
      );
    }
    const now = new Date().toISOString();
    const payment: Payment = {
      payment_id: newId('pay'),
      user_id: caller.userId,
      order_id: order.order_id,
      amount: order.total,
      currency: order.currency,
      method: input.method ?? 'card',
      status: 'captured',
      refunded_amount: 0,
      created_at: now,
      updated_at: now,
    };
    this.payments.set(payment.payment_id, payment);
    return payment;
  }

  /** The caller's payments (an admin's: everyone's), of one order when given. */
  list(caller: CallerIdentity, orderId?: string): Payment[] {
    return [...this.payments.values()].filter(
      (p) => isSelfOrAdmin(caller, p.user_id) && (orderId === undefined || p.order_id === orderId),
    );
  }

  get(caller: CallerIdentity, id: string): Payment {
    const payment = this.payments.get(id);
    if (!payment || !isSelfOrAdmin(caller, payment.user_id)) {
      throw new NotFoundException(`payment ${id} not found`);
    }
    return payment;
  }

  refund(caller: CallerIdentity, id: string, amount?: number): Payment {
    const payment = this.get(caller, id);
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
