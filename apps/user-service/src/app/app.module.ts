import { Module } from '@nestjs/common';
import { ServiceKitModule } from '@mqgw/service-kit';
import { UsersController } from './users.controller';
import { UsersV2Controller } from './users-v2.controller';
import { UsersService } from './users.service';
import { UsersStore } from './users.store';

@Module({
  imports: [ServiceKitModule],
  controllers: [UsersController, UsersV2Controller],
  providers: [UsersStore, UsersService],
})
export class AppModule {}
