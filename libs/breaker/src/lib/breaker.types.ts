export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long the circuit stays open before letting a probe through. */
  recoveryMs: number;
  /** Requests allowed through at once while half-open. */
  halfOpenProbes: number;
  /** Settings of one service that differ from these (read on every decision). */
  settingsFor?: (service: string) => Partial<BreakerSettings> | undefined;
}

export type BreakerSettings = Pick<
  BreakerOptions,
  'failureThreshold' | 'recoveryMs' | 'halfOpenProbes'
>;

/** The settings that apply to `service`. */
export function settingsOf(options: BreakerOptions, service: string): BreakerSettings {
  const own = options.settingsFor?.(service);
  return {
    failureThreshold: own?.failureThreshold ?? options.failureThreshold,
    recoveryMs: own?.recoveryMs ?? options.recoveryMs,
    halfOpenProbes: own?.halfOpenProbes ?? options.halfOpenProbes,
  };
}

export type Permit = { allowed: true; probe: boolean } | { allowed: false; retryAfterMs: number };

export interface BreakerSnapshot {
  state: BreakerState;
  failures: number;
  /** Epoch ms (Redis clock) when the circuit opened; 0 when closed. */
  openedAt: number;
}

export interface Transition {
  service: string;
  from: BreakerState;
  to: BreakerState;
}

/** A circuit breaker per service name. */
export interface CircuitBreaker {
  /** Asks to call `service`; a refused permit means answer 503 without calling. */
  acquire(service: string): Promise<Permit>;
  /** Reports the outcome of a permitted call. */
  record(service: string, success: boolean, permit: Permit): Promise<void>;
  /**
   * Reports a permitted call that proved nothing about the service (it was never sent):
   * a half-open probe gives its slot back, so the next call probes instead.
   */
  release(service: string, permit: Permit): Promise<void>;
  snapshot(service: string): Promise<BreakerSnapshot>;
}
