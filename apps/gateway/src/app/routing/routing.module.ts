import { Module } from '@nestjs/common';
import { compileRoutes } from './route-compiler';
import { RouteMatcher } from './route-matcher';
import type { RouteDefinition } from './route.types';

/** The route table's definitions, before compilation. */
export const ROUTE_DEFINITIONS = Symbol('ROUTE_DEFINITIONS');

/** The route table: compiled (validated) once at boot, and matched against every topic. */
@Module({
  providers: [
    {
      provide: RouteMatcher,
      inject: [ROUTE_DEFINITIONS],
      useFactory: (definitions: readonly RouteDefinition[]) =>
        new RouteMatcher(compileRoutes(definitions)),
    },
  ],
  exports: [RouteMatcher],
})
export class RoutingModule {}
