import { Logger, Module } from '@nestjs/common';
import { HealthMonitor, InstanceDirectory, type ServiceRegistry } from '@mqgw/discovery';
import { RouteMatcher } from '../routing/route-matcher';
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
      inject: [SERVICE_REGISTRY, RouteMatcher, DISCOVERY_CONFIG],
      useFactory: (registry: ServiceRegistry, routes: RouteMatcher, config: DiscoveryConfig) => {
        const logger = new Logger('Discovery');
        return new InstanceDirectory(registry, {
          refreshMs: config.refreshMs,
          staticInstances: config.staticInstances,
          services: routes.routes.flatMap((r) => (r.service ? [r.service] : [])),
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
      },
    },
  ],
  exports: [InstanceDirectory],
})
export class DiscoveryModule {}
