import { int, maybe, oneOf, str, type EnvOf } from '@mqgw/config';
import { BALANCERS, type BalancerName } from '@mqgw/balancing';

/** How the upstream step picks an instance and calls it. */
export const upstreamEnv = {
  UPSTREAM_TIMEOUT_MS: int({ default: 30_000, min: 1 }),
  UPSTREAM_EJECT_SECONDS: int({
    default: 5,
    min: 0,
    doc: 'an instance that refuses a connection leaves routing this long; 0 = never',
  }),
  RETRY_BUDGET_PERCENT: int({ default: 10, min: 0, max: 100 }),
  BALANCER_STRATEGY: oneOf(BALANCERS, { default: 'round-robin' }),
  BALANCER_OVERRIDES: maybe(
    str({
      pattern:
        /^[\w-]+=(round-robin|least-outstanding|weighted)(,[\w-]+=(round-robin|least-outstanding|weighted))*$/,
      doc: 'service=strategy,...',
    }),
  ),
};

export interface UpstreamConfig {
  timeoutMs: number;
  ejectMs: number;
  retryBudgetRatio: number;
  balancer: BalancerName;
  balancerOverrides: Record<string, BalancerName>;
  /** `MAX_REPLY_BYTES`: a larger answer could not be passed on. */
  maxResponseBytes: number;
}

export const UPSTREAM_CONFIG = Symbol('UPSTREAM_CONFIG');

export function readUpstreamConfig(
  env: EnvOf<typeof upstreamEnv>,
  maxResponseBytes: number,
): UpstreamConfig {
  return {
    maxResponseBytes,
    timeoutMs: env.UPSTREAM_TIMEOUT_MS,
    ejectMs: env.UPSTREAM_EJECT_SECONDS * 1000,
    retryBudgetRatio: env.RETRY_BUDGET_PERCENT / 100,
    balancer: env.BALANCER_STRATEGY,
    balancerOverrides: Object.fromEntries(
      (env.BALANCER_OVERRIDES?.split(',') ?? []).map(
        (pair) => pair.split('=') as [string, BalancerName],
      ),
    ),
  };
}
