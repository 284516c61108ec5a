import { IsCurrencyCode } from '@mqgw/service-kit';
import {
  IsIn,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
} from 'class-validator';

export const METHODS = ['card', 'bank_transfer', 'wallet'] as const;
export type PaymentMethod = (typeof METHODS)[number];

export const MAX_AMOUNT = 1_000_000;

const MONEY = { allowNaN: false, allowInfinity: false, maxDecimalPlaces: 2 } as const;

/**
 * `POST /payments`. The amount and currency are the order's, from the order service; a
 * client may send them only to say what it expects to pay (a mismatch is a 422). Owner,
 * status and refunded amount are the server's.
 */
export class CreatePaymentDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  order_id!: string;

  @IsOptional()
  @IsNumber(MONEY)
  @Min(0.01)
  @Max(MAX_AMOUNT)
  amount?: number;

  @IsOptional()
  @IsCurrencyCode()
  currency?: string;

  @IsOptional()
  @IsIn(METHODS)
  method?: PaymentMethod;
}

/** `POST /payments/:id/refund`: part of what is left, or (no amount) all of it. */
export class RefundDto {
  @IsOptional()
  @IsNumber(MONEY)
  @Min(0.01)
  @Max(MAX_AMOUNT)
  amount?: number;
}

/** `GET /payments?order_id=`. */
export class ListPaymentsQuery {
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  order_id?: string;
}
