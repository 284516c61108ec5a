import { Module } from '@nestjs/common';
import { ServiceKitModule } from '@mqgw/service-kit';
import { OrdersController } from './orders.controller';
import { OrdersV2Controller } from './orders-v2.controller';
import { OrdersService } from './orders.service';
import { OrdersStore } from './orders.store';

@Module({
  imports: [ServiceKitModule],
  controllers: [OrdersController, OrdersV2Controller],
  providers: [OrdersStore, OrdersService],
})
export class AppModule {}
