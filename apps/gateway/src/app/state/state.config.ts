import { int, oneOf, str, type EnvOf } from '@mqgw/config';
import { readRedisSettings, redisEnvSchema, type RedisSettings } from '@mqgw/store';

/** Where the state gateway instances share lives, and the settings of what lives there. */
export const stateEnv = {
  ...redisEnvSchema,
  REDIS_KEY_PREFIX: str({ default: '', pattern: /^[\w:.-]*$/ }),
  RATE_LIMIT_FAIL_MODE: oneOf(['open', 'closed'] as const, { default: 'open' }),
  BREAKER_FAILURE_THRESHOLD: int({ default: 5, min: 1 }),
  BREAKER_RECOVERY_SECONDS: int({ default: 60, min: 1 }),
  BREAKER_HALF_OPEN_PROBES: int({ default: 1, min: 1 }),
};

export interface StateConfig {
  /** Unset: the state lives in this process (one instance, nothing shared). */
  redis?: RedisSettings;
  keyPrefix: string;
  rateLimitFailMode: 'open' | 'closed';
  breaker: { failureThreshold: number; recoveryMs: number; halfOpenProbes: number };
}

export const STATE_CONFIG = Symbol('STATE_CONFIG');

export function readStateConfig(env: EnvOf<typeof stateEnv>): StateConfig {
  return {
    redis: readRedisSettings(env),
    keyPrefix: env.REDIS_KEY_PREFIX,
    rateLimitFailMode: env.RATE_LIMIT_FAIL_MODE,
    breaker: {
      failureThreshold: env.BREAKER_FAILURE_THRESHOLD,
      recoveryMs: env.BREAKER_RECOVERY_SECONDS * 1000,
      halfOpenProbes: env.BREAKER_HALF_OPEN_PROBES,
    },
  };
}
