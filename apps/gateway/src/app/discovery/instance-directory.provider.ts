import { Logger, type FactoryProvider } from '@nestjs/common';
import {
  HealthMonitor,
  InstanceDirectory,
  staticInstance,
  type ServiceInstance,
  type ServiceRegistry,
} from '@mqgw/discovery';
import { servicesOf, type RouteTable } from '@mqgw/routes';
import { ActiveRoutes } from '../routing/active-routes';
import { SERVICE_REGISTRY } from '../state/state.tokens';
import { DISCOVERY_CONFIG, type DiscoveryConfig } from './discovery.config';

/** This instance's view of the services: registry entries, static ones, their health. */
export const instanceDirectoryProvider: FactoryProvider<InstanceDirectory> = {
  provide: InstanceDirectory,
  inject: [SERVICE_REGISTRY, ActiveRoutes, DISCOVERY_CONFIG],
  useFactory: createInstanceDirectory,
};

export function createInstanceDirectory(
  registry: ServiceRegistry,
  routes: ActiveRoutes,
  config: DiscoveryConfig,
): InstanceDirectory {
  const logger = new Logger('Discovery');
  return new InstanceDirectory(registry, {
    refreshMs: config.refreshMs,
    staticInstances: staticInstancesOf(config, routes.table),
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
}

/** Points the directory at the services and static instances of a new route table. */
export function followRoutes(
  directory: InstanceDirectory,
  config: DiscoveryConfig,
  table: RouteTable,
): void {
  directory.reconfigure(servicesOf(table), staticInstancesOf(config, table));
}

/** `SERVICES`, then the instances the routes file declares. */
function staticInstancesOf(config: DiscoveryConfig, table: RouteTable): ServiceInstance[] {
  return [
    ...config.staticInstances,
    ...[...table.services.values()].flatMap((service) =>
      service.instances.map((url, i) =>
        staticInstance(service.name, url, `file-${service.name}-${i}`),
      ),
    ),
  ];
}
