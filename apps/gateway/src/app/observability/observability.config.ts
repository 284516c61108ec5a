import { int, type EnvOf } from '@mqgw/config';
import { readTracingSettings, tracingEnvSchema, type TracingSettings } from '@mqgw/tracing';

export const observabilityEnv = {
  METRICS_FLUSH_MS: int({ default: 250, min: 10 }),
  ...tracingEnvSchema,
};

export interface ObservabilityConfig {
  /** Counters and logs are written to the shared store this often. */
  flushMs: number;
  /** Where spans are exported; unset = tracing off (docs/tracing.md). */
  tracing?: TracingSettings;
}

export const OBSERVABILITY_CONFIG = Symbol('OBSERVABILITY_CONFIG');

export function readObservabilityConfig(env: EnvOf<typeof observabilityEnv>): ObservabilityConfig {
  return { flushMs: env.METRICS_FLUSH_MS, tracing: readTracingSettings(env, 'mqgw-gateway') };
}
