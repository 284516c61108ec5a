import { Module } from '@nestjs/common';
import { InstanceDirectory } from '@mqgw/discovery';
import { RoutingModule } from '../routing/routing.module';
import { StateModule } from '../state/state.module';
import { instanceDirectoryProvider } from './instance-directory.provider';

/** This instance's view of the services (`InstanceDirectory`). */
@Module({
  imports: [StateModule, RoutingModule],
  providers: [instanceDirectoryProvider],
  exports: [InstanceDirectory],
})
export class DiscoveryModule {}
