import type { FactoryProvider } from '@nestjs/common';
import { PerServiceBalancer, type BalancerName } from '@mqgw/balancing';
import type { RouteTable } from '@mqgw/routes';
import { ActiveRoutes } from '../routing/active-routes';
import { UPSTREAM_CONFIG, type UpstreamConfig } from './upstream.config';
import { LOAD_BALANCER } from './upstream.tokens';

/** The per-service load balancer, with the active table's choices. */
export const balancerProvider: FactoryProvider<PerServiceBalancer> = {
  provide: LOAD_BALANCER,
  inject: [UPSTREAM_CONFIG, ActiveRoutes],
  useFactory: (config: UpstreamConfig, routes: ActiveRoutes) =>
    new PerServiceBalancer(config.balancer, balancerOverrides(config, routes.table)),
};

/** `BALANCER_OVERRIDES`, then each service's `balancer` in the routes file. */
export function balancerOverrides(
  config: UpstreamConfig,
  table: RouteTable,
): Record<string, BalancerName> {
  return {
    ...config.balancerOverrides,
    ...Object.fromEntries(
      [...table.services.values()].flatMap((s) => (s.balancer ? [[s.name, s.balancer]] : [])),
    ),
  };
}
