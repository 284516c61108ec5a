import { Logger, Module } from '@nestjs/common';
import {
  HealthMonitor,
  InstanceDirectory,
  staticInstance,
  type ServiceInstance,
  type ServiceRegistry,
} from '@mqgw/discovery';
import { servicesOf, type RouteTable } from '@mqgw/routes';
import { ActiveRoutes } from '../routing/active-routes';
import { RoutingModule } from '../routing/routing.module';
import { SERVICE_REGISTRY } from '../state/state.tokens';
import { StateModule } from '../state/state.module';
import { DISCOVERY_CONFIG, type DiscoveryConfig } from './discovery.config';

/** This instance's view of the services (`InstanceDirectory`): registry entries, static ones, health. */
@Module({
  imports: [StateModule, RoutingModule],
  providers: [
    {
      provide: InstanceDirectory,
      inject: [SERVICE_REGISTRY, ActiveRoutes, DISCOVERY_CONFIG],
      useFactory: (registry: ServiceRegistry, routes: ActiveRoutes, config: DiscoveryConfig) => {
        const logger = new Logger('Discovery');
        const staticOf = (table: RouteTable) => [
          ...config.staticInstances,
          ...fileInstances(table),
        ];
        const directory = new InstanceDirectory(registry, {
          refreshMs: config.refreshMs,
          staticInstances: staticOf(routes.table),
          services: servicesOf(routes.table),
          onError: (error) => logger.warn(`discovery refresh failed: ${(error as Error).message}`),
          health:
            config.healthCheckIntervalMs > 0
              ? new HealthMonitor({
                  intervalMs: config.healthCheckIntervalMs,
                  timeoutMs: config.healthCheckTimeoutMs,
                  unhealthyAfter: 3,
                  healthyAfter: 2,
                  onChange: (url, healthy) =>
                    logger.warn(`instance ${url} is ${healthy ? 'healthy again' : 'unhealthy'}`),
                })
              : undefined,
        });
        routes.subscribe({
          routesChanged: (next) => directory.reconfigure(servicesOf(next), staticOf(next)),
        });
        return directory;
      },
    },
  ],
  exports: [InstanceDirectory],
})
export class DiscoveryModule {}

/** The static instances a routes file declares. */
function fileInstances(table: RouteTable): ServiceInstance[] {
  return [...table.services.values()].flatMap((service) =>
    service.instances.map((url, i) =>
      staticInstance(service.name, url, `file-${service.name}-${i}`),
    ),
  );
}
