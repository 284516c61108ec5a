import { UnprocessableEntityException } from '@nestjs/common';

/**
 * The server's price list: a client names a sku and a quantity, never a price. Prices have
 * at most two decimals and no currency of their own.
 */
export const CATALOGUE: Readonly<Record<string, number>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, number>, {
    'sku-1': 2.5,
    'sku-2': 10,
    widget: 4.99,
    gadget: 19.99,
  }),
);

export interface OrderLine {
  sku: string;
  quantity: number;
}

export interface PricedLine extends OrderLine {
  /** The catalogue price when the line was priced. */
  price: number;
}

/** Each line with its catalogue price, or a 422 naming every sku the catalogue lacks. */
export function priceLines(lines: readonly OrderLine[]): PricedLine[] {
  const unknown = [...new Set(lines.map((l) => l.sku))].filter(
    (sku) => !Object.hasOwn(CATALOGUE, sku),
  );
  if (unknown.length > 0) {
    throw new UnprocessableEntityException(
      `unknown sku${unknown.length > 1 ? 's' : ''} ${unknown.map((s) => JSON.stringify(s)).join(', ')}`,
    );
  }
  return lines.map(({ sku, quantity }) => ({ sku, quantity, price: CATALOGUE[sku] }));
}

/** Sum of quantity × price, in whole cents so it is exact, then back to a number. */
export function totalOf(lines: readonly PricedLine[]): number {
  const cents = lines.reduce((sum, l) => sum + l.quantity * Math.round(l.price * 100), 0);
  return cents / 100;
}
