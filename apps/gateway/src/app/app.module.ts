import { Module, type DynamicModule } from '@nestjs/common';
import { CommandsModule } from './commands/commands.module';
import { DiscoveryModule } from './discovery/discovery.module';
import { GatewayConfigModule } from './gateway-config.module';
import type { GatewayConfig } from './gateway.config';
import { ObservabilityModule } from './observability/observability.module';
import { OperationsModule } from './operations/operations.module';
import { PipelineModule } from './pipeline/pipeline.module';
import type { RouteTable } from '@mqgw/routes';
import { RoutingModule } from './routing/routing.module';
import { StateModule } from './state/state.module';
import { TransportModule } from './transport/transport.module';
import { UpstreamModule } from './upstream/upstream.module';

/**
 * The gateway, composed: a request crosses the transport, the route table, the pipeline
 * and the upstream step; shared state, discovery, observability and operations serve them.
 */
@Module({})
export class AppModule {
  /** `routes` is the table to boot with: the routes file's, or a test's own. */
  static forRoot(config: GatewayConfig, routes: RouteTable): DynamicModule {
    return {
      module: AppModule,
      imports: [
        GatewayConfigModule.forRoot(config, routes),
        TransportModule,
        RoutingModule,
        PipelineModule,
        UpstreamModule,
        StateModule,
        DiscoveryModule,
        ObservabilityModule,
        OperationsModule,
        CommandsModule,
      ],
    };
  }
}
