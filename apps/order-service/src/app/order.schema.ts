import { BadRequestException } from '@nestjs/common';
import { badRequest, validateBody, type Schema } from '@mqgw/service-kit';
import type { NewOrder, OrderItem } from './orders.store';

export const ORDER_SCHEMA: Schema = {
  user_id: { type: 'string', required: true, maxLength: 100 },
  items: { type: 'array', required: true, minItems: 1 },
  currency: { type: 'string', pattern: /^[A-Z]{3}$/ },
};

const ITEM_SCHEMA: Schema = {
  sku: { type: 'string', required: true, maxLength: 100 },
  quantity: { type: 'integer', required: true, min: 1, max: 10_000 },
  price: { type: 'number', required: true, min: 0 },
};

export const ORDER_UPDATE_SCHEMA: Schema = {
  items: { type: 'array', minItems: 1 },
  status: { type: 'enum', values: ['pending', 'confirmed', 'shipped'] },
};

export function validateItems(items: unknown[]): OrderItem[] {
  return items.map((item, index) => {
    try {
      return validateBody<OrderItem>(item, ITEM_SCHEMA);
    } catch (error) {
      const problems = ((error as BadRequestException).getResponse() as { message: string[] })
        .message;
      throw badRequest(...problems.map((p) => `items[${index}].${p}`));
    }
  });
}

export function validateNewOrder(body: unknown): NewOrder {
  const order = validateBody<NewOrder>(body, ORDER_SCHEMA);
  return { ...order, items: validateItems(order.items) };
}
