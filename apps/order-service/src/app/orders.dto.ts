import { IsCurrencyCode, IsUserId, V2RequestDto } from '@mqgw/service-kit';
import { applyDecorators } from '@nestjs/common';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';

export const MAX_ITEMS = 100;
export const MAX_QUANTITY = 10_000;

/** One order line: a catalogue sku and how many. The price comes from the catalogue. */
export class OrderItemDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  sku!: string;

  @IsInt()
  @Min(1)
  @Max(MAX_QUANTITY)
  quantity!: number;
}

const Items = () =>
  applyDecorators(
    IsArray(),
    ArrayMinSize(1),
    ArrayMaxSize(MAX_ITEMS),
    ValidateNested({ each: true }),
    Type(() => OrderItemDto),
  );

const Currency = () => applyDecorators(IsOptional(), IsCurrencyCode('USD'));

const OwnerId = () => applyDecorators(IsOptional(), IsUserId());

/** `POST /orders`. `price`, `total` and `status` are the server's, so they are not here. */
export class CreateOrderDto {
  @Items()
  items!: OrderItemDto[];

  @Currency()
  currency?: string;

  /** For whom: the caller by default; only an admin may name someone else. */
  @OwnerId()
  user_id?: string;
}

/** `PUT /orders/:id`: only the items of a pending order change. */
export class UpdateOrderDto {
  @IsOptional()
  @Items()
  items?: OrderItemDto[];
}

/** `POST /v2/orders/create`: the order as `order`, or its fields at the top level. */
export class V2CreateOrderDto extends V2RequestDto {
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => CreateOrderDto)
  order?: CreateOrderDto;

  @ValidateIf((body: V2CreateOrderDto) => body.order == null)
  @Items()
  items?: OrderItemDto[];

  @Currency()
  currency?: string;

  @OwnerId()
  user_id?: string;
}

export class V2OrderIdDto extends V2RequestDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  order_id!: string;
}
