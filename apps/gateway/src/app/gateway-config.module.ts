import { Global, Module, type DynamicModule } from '@nestjs/common';
import { COMMANDS_CONFIG } from './commands/commands.config';
import { DISCOVERY_CONFIG } from './discovery/discovery.config';
import type { GatewayConfig } from './gateway.config';
import { OBSERVABILITY_CONFIG } from './observability/observability.config';
import { OPERATIONS_CONFIG } from './operations/operations.config';
import { PIPELINE_CONFIG } from './pipeline/pipeline.config';
import type { RouteTable } from '@mqgw/routes';
import { INITIAL_ROUTE_TABLE } from './routing/active-routes';
import { ROUTING_CONFIG } from './routing/routing.config';
import { STATE_CONFIG } from './state/state.config';
import { TRANSPORT_CONFIG } from './transport/transport.config';
import { UPSTREAM_CONFIG } from './upstream/upstream.config';

/**
 * The validated configuration, one slice per module: each module injects only its own
 * token. Global, as configuration is, so that feature modules import each other plainly.
 */
@Global()
@Module({})
export class GatewayConfigModule {
  static forRoot(config: GatewayConfig, routes: RouteTable): DynamicModule {
    const providers = [
      { provide: OPERATIONS_CONFIG, useValue: config.operations },
      { provide: TRANSPORT_CONFIG, useValue: config.transport },
      { provide: STATE_CONFIG, useValue: config.state },
      { provide: DISCOVERY_CONFIG, useValue: config.discovery },
      { provide: UPSTREAM_CONFIG, useValue: config.upstream },
      { provide: PIPELINE_CONFIG, useValue: config.pipeline },
      { provide: OBSERVABILITY_CONFIG, useValue: config.observability },
      { provide: ROUTING_CONFIG, useValue: config.routing },
      { provide: COMMANDS_CONFIG, useValue: config.commands },
      { provide: INITIAL_ROUTE_TABLE, useValue: routes },
    ];
    return {
      module: GatewayConfigModule,
      providers,
      exports: providers.map((p) => p.provide),
    };
  }
}
