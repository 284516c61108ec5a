import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { CommandsModule } from '../commands/commands.module';
import { DiscoveryModule } from '../discovery/discovery.module';
import { ObservabilityModule } from '../observability/observability.module';
import { PipelineModule } from '../pipeline/pipeline.module';
import { StateModule } from '../state/state.module';
import { TransportModule } from '../transport/transport.module';
import { UpstreamModule } from '../upstream/upstream.module';
import { DashboardController } from './dashboard.controller';
import { DashboardData } from './dashboard.data';
import { DashboardGuard } from './dashboard.guard';
import { FaviconController } from './favicon.controller';
import { GatewayOpsController } from './gateway-ops.controller';
import { GatewayLifecycle } from './gateway.lifecycle';
import { HealthController } from './health.controller';
import { HealthReporter } from './health.reporter';
import { MetricsController } from './metrics.controller';
import { RoutesController } from './routes.controller';
import { RoutesReload } from './routes-reload';
import { RoutingModule } from '../routing/routing.module';

/**
 * Running the gateway: the `gateway/*` handlers over MQTT, health, Prometheus metrics, the
 * route table and the dashboard over HTTP, the order in which everything starts and stops,
 * and what a routes reload changes.
 */
@Module({
  imports: [
    TerminusModule,
    StateModule,
    DiscoveryModule,
    ObservabilityModule,
    PipelineModule,
    TransportModule,
    UpstreamModule,
    RoutingModule,
    CommandsModule,
  ],
  controllers: [
    GatewayOpsController,
    HealthController,
    MetricsController,
    RoutesController,
    DashboardController,
    FaviconController,
  ],
  providers: [HealthReporter, GatewayLifecycle, DashboardData, DashboardGuard, RoutesReload],
})
export class OperationsModule {}
