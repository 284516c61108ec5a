import { Logger, Module } from '@nestjs/common';
import { ActiveRoutes } from '../routing/active-routes';
import { RoutingModule } from '../routing/routing.module';
import { createSharedState, type SharedState } from './shared-state';
import { STATE_CONFIG, type StateConfig } from './state.config';
import { StateEvents } from './state.events';
import {
  CIRCUIT_BREAKER,
  KV_STORE,
  RATE_LIMITER,
  SERVICE_REGISTRY,
  SHARED_STATE,
} from './state.tokens';

/**
 * What gateway instances share, in Redis (or in this process without Redis): the key-value
 * store, the service registry, the rate limiter and the circuit breaker. What happens inside
 * is reported through `StateEvents`.
 */
@Module({
  imports: [RoutingModule],
  providers: [
    StateEvents,
    {
      provide: SHARED_STATE,
      inject: [STATE_CONFIG, StateEvents, ActiveRoutes],
      useFactory: (config: StateConfig, events: StateEvents, routes: ActiveRoutes): SharedState =>
        createSharedState(
          config,
          {
            limiterFallback: (error) => events.emit('limiterFallback', error),
            breakerTransition: (transition) => events.emit('breakerTransition', transition),
          },
          new Logger('State'),
          // Each service's own breaker settings, from whichever route table is active.
          (service) => {
            const own = routes.table.services.get(service)?.breaker;
            return (
              own && {
                failureThreshold: own.failureThreshold,
                recoveryMs: own.recoverySeconds && own.recoverySeconds * 1000,
                halfOpenProbes: own.halfOpenProbes,
              }
            );
          },
        ),
    },
    { provide: KV_STORE, inject: [SHARED_STATE], useFactory: (s: SharedState) => s.kv },
    {
      provide: SERVICE_REGISTRY,
      inject: [SHARED_STATE],
      useFactory: (s: SharedState) => s.registry,
    },
    { provide: RATE_LIMITER, inject: [SHARED_STATE], useFactory: (s: SharedState) => s.limiter },
    {
      provide: CIRCUIT_BREAKER,
      inject: [SHARED_STATE],
      useFactory: (s: SharedState) => s.breaker,
    },
  ],
  exports: [StateEvents, SHARED_STATE, KV_STORE, SERVICE_REGISTRY, RATE_LIMITER, CIRCUIT_BREAKER],
})
export class StateModule {}
