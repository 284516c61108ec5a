import { Module } from '@nestjs/common';
import { ActiveRoutes } from './active-routes';

/** The route table: loaded at boot, reloaded on SIGHUP, matched against every topic. */
@Module({
  providers: [ActiveRoutes],
  exports: [ActiveRoutes],
})
export class RoutingModule {}
