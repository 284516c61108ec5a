import { int, type EnvOf } from '@mqgw/config';

export const observabilityEnv = {
  METRICS_FLUSH_MS: int({ default: 250, min: 10 }),
};

export interface ObservabilityConfig {
  /** Counters and logs are written to the shared store this often. */
  flushMs: number;
}

export const OBSERVABILITY_CONFIG = Symbol('OBSERVABILITY_CONFIG');

export function readObservabilityConfig(env: EnvOf<typeof observabilityEnv>): ObservabilityConfig {
  return { flushMs: env.METRICS_FLUSH_MS };
}
