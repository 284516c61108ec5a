import { Logger, type FactoryProvider } from '@nestjs/common';
import type { BreakerOptions } from '@mqgw/breaker';
import { ActiveRoutes } from '../routing/active-routes';
import { createSharedState, type SharedState } from './shared-state';
import { STATE_CONFIG, type StateConfig } from './state.config';
import { StateEvents } from './state.events';
import { SHARED_STATE } from './state.tokens';

/** The shared state, reporting what happens inside through `StateEvents`. */
export const sharedStateProvider: FactoryProvider<SharedState> = {
  provide: SHARED_STATE,
  inject: [STATE_CONFIG, StateEvents, ActiveRoutes],
  useFactory: (config: StateConfig, events: StateEvents, routes: ActiveRoutes) =>
    createSharedState(
      config,
      {
        limiterFallback: (error) => events.emit('limiterFallback', error),
        breakerTransition: (transition) => events.emit('breakerTransition', transition),
      },
      new Logger('State'),
      breakerSettingsFrom(routes),
    ),
};

/** Each service's own breaker settings, from whichever route table is active. */
export function breakerSettingsFrom(routes: ActiveRoutes): BreakerOptions['settingsFor'] {
  return (service) => {
    const own = routes.table.services.get(service)?.breaker;
    return (
      own && {
        failureThreshold: own.failureThreshold,
        recoveryMs: own.recoverySeconds && own.recoverySeconds * 1000,
        halfOpenProbes: own.halfOpenProbes,
      }
    );
  };
}
