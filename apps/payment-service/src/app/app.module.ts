import { Module } from '@nestjs/common';
import { ServiceKitModule } from '@mqgw/service-kit';
import { PaymentsController } from './payments.controller';
import { PaymentsStore } from './payments.store';

@Module({
  imports: [ServiceKitModule],
  controllers: [PaymentsController],
  providers: [PaymentsStore],
})
export class AppModule {}
