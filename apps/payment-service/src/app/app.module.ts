import { Module, type DynamicModule } from '@nestjs/common';
import { ServiceKitModule } from '@mqgw/service-kit';
import { ORDER_SERVICE_URL, OrdersClient } from './orders.client';
import { PaymentsController } from './payments.controller';
import { PaymentsStore } from './payments.store';

export interface PaymentServiceOptions {
  /** Where the order service is (`ORDER_SERVICE_URL`). */
  orderServiceUrl: string;
}

@Module({})
export class AppModule {
  static forRoot(options: PaymentServiceOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [ServiceKitModule],
      controllers: [PaymentsController],
      providers: [
        PaymentsStore,
        OrdersClient,
        { provide: ORDER_SERVICE_URL, useValue: options.orderServiceUrl.replace(/\/+$/, '') },
      ],
    };
  }
}
