import { Module } from '@nestjs/common';
import { PerServiceBalancer } from '@mqgw/balancing';
import type { RouteTable } from '@mqgw/routes';
import { ActiveRoutes } from '../routing/active-routes';
import { RoutingModule } from '../routing/routing.module';
import { DiscoveryModule } from '../discovery/discovery.module';
import { ObservabilityModule } from '../observability/observability.module';
import { PipelineModule } from '../pipeline/pipeline.module';
import { ProxyController } from './proxy.controller';
import { ReplyContract } from './reply-contract';
import { UPSTREAM_CONFIG, type UpstreamConfig } from './upstream.config';
import { UpstreamHttpClient } from './upstream-http.client';
import { UpstreamService } from './upstream.service';
import { LOAD_BALANCER } from './upstream.tokens';

/**
 * The upstream step: balancing, the HTTP client, retries, the check of replies against the
 * route's reply schema, and the `proxy` handler.
 */
@Module({
  imports: [DiscoveryModule, PipelineModule, RoutingModule, ObservabilityModule],
  controllers: [ProxyController],
  providers: [
    {
      provide: LOAD_BALANCER,
      inject: [UPSTREAM_CONFIG, ActiveRoutes],
      useFactory: (config: UpstreamConfig, routes: ActiveRoutes) => {
        // BALANCER_OVERRIDES, then each service's `balancer` in the routes file.
        const overrides = (table: RouteTable) => ({
          ...config.balancerOverrides,
          ...Object.fromEntries(
            [...table.services.values()].flatMap((s) => (s.balancer ? [[s.name, s.balancer]] : [])),
          ),
        });
        const balancer = new PerServiceBalancer(config.balancer, overrides(routes.table));
        routes.subscribe({ routesChanged: (next) => balancer.setOverrides(overrides(next)) });
        return balancer;
      },
    },
    {
      provide: UpstreamHttpClient,
      inject: [UPSTREAM_CONFIG],
      useFactory: (config: UpstreamConfig) => new UpstreamHttpClient(config.maxResponseBytes),
    },
    ReplyContract,
    UpstreamService,
  ],
  exports: [UpstreamHttpClient, UpstreamService],
})
export class UpstreamModule {}
