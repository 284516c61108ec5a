import { Module } from '@nestjs/common';
import { ServiceKitModule } from '@mqgw/service-kit';
import { NotificationsController } from './notifications.controller';

@Module({
  imports: [ServiceKitModule],
  controllers: [NotificationsController],
})
export class AppModule {}
