import { Module } from '@nestjs/common';
import { RoutingModule } from '../routing/routing.module';
import type { SharedState } from './shared-state';
import { sharedStateProvider } from './shared-state.provider';
import { StateEvents } from './state.events';
import {
  CIRCUIT_BREAKER,
  KV_STORE,
  RATE_LIMITER,
  SERVICE_REGISTRY,
  SHARED_STATE,
} from './state.tokens';

/** One part of the shared state as a provider of its own. */
const partOf = (token: symbol, part: (state: SharedState) => unknown) => ({
  provide: token,
  inject: [SHARED_STATE],
  useFactory: part,
});

/**
 * What gateway instances share, in Redis (or in this process without Redis): the key-value
 * store, the service registry, the rate limiter and the circuit breaker. What happens inside
 * is reported through `StateEvents`.
 */
@Module({
  imports: [RoutingModule],
  providers: [
    StateEvents,
    sharedStateProvider,
    partOf(KV_STORE, (s) => s.kv),
    partOf(SERVICE_REGISTRY, (s) => s.registry),
    partOf(RATE_LIMITER, (s) => s.limiter),
    partOf(CIRCUIT_BREAKER, (s) => s.breaker),
  ],
  exports: [StateEvents, SHARED_STATE, KV_STORE, SERVICE_REGISTRY, RATE_LIMITER, CIRCUIT_BREAKER],
})
export class StateModule {}
