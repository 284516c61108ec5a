import { Injectable } from '@nestjs/common';
import type { Transition } from '@mqgw/breaker';

export interface StateEventMap {
  /** A rate-limit check was answered locally because Redis was unavailable. */
  limiterFallback: [error: unknown];
  /** A service's circuit changed state (seen by this instance). */
  breakerTransition: [transition: Transition];
}

type Listener<K extends keyof StateEventMap> = (...args: StateEventMap[K]) => void;

/**
 * What happens inside the shared state that others want to count or log. The state module
 * emits; observability listens. The state never depends on who listens.
 */
@Injectable()
export class StateEvents {
  private readonly listeners: { [K in keyof StateEventMap]: Listener<K>[] } = {
    limiterFallback: [],
    breakerTransition: [],
  };

  on<K extends keyof StateEventMap>(event: K, listener: Listener<K>): void {
    this.listeners[event].push(listener);
  }

  emit<K extends keyof StateEventMap>(event: K, ...args: StateEventMap[K]): void {
    for (const listener of this.listeners[event]) listener(...args);
  }
}
