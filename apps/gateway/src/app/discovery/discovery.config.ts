import { ConfigError, int, maybe, str, type EnvOf } from '@mqgw/config';
import { parseStaticServices } from '@mqgw/discovery';

/** Where the services' instances are found, and how their health is watched. */
export const discoveryEnv = {
  SERVICES: maybe(str({ doc: 'static instances: name=url,name=url' })),
  DISCOVERY_REFRESH_MS: int({ default: 2000, min: 100 }),
  HEALTH_CHECK_INTERVAL_SECONDS: int({
    default: 10,
    min: 0,
    doc: '0 turns active health checks off',
  }),
  HEALTH_CHECK_TIMEOUT_MS: int({ default: 2000, min: 1 }),
};

/** The stub services at their default ports: `SERVICES` when no Redis and no SERVICES are set. */
export const LOCAL_SERVICES = [
  'user-service=http://127.0.0.1:3001',
  'user-service-v2=http://127.0.0.1:3001',
  'order-service=http://127.0.0.1:3002',
  'order-service-v2=http://127.0.0.1:3002',
  'payment-service=http://127.0.0.1:3003',
  'notification-service=http://127.0.0.1:3004',
].join(',');

export interface DiscoveryConfig {
  staticInstances: NonNullable<ReturnType<typeof parseStaticServices>>;
  refreshMs: number;
  /** 0 turns active health checks off. */
  healthCheckIntervalMs: number;
  healthCheckTimeoutMs: number;
}

export const DISCOVERY_CONFIG = Symbol('DISCOVERY_CONFIG');

export function readDiscoveryConfig(
  env: EnvOf<typeof discoveryEnv>,
  hasRegistry: boolean,
): DiscoveryConfig {
  // Without a registry nothing can self-register: default to the stub services' ports.
  const services = env.SERVICES ?? (hasRegistry ? undefined : LOCAL_SERVICES);
  const staticInstances = services ? parseStaticServices(services) : [];
  if (!staticInstances) {
    throw new ConfigError(
      'SERVICES',
      'name=http://host:port pairs separated by commas',
      env.SERVICES ?? '',
    );
  }
  return {
    staticInstances,
    refreshMs: env.DISCOVERY_REFRESH_MS,
    healthCheckIntervalMs: env.HEALTH_CHECK_INTERVAL_SECONDS * 1000,
    healthCheckTimeoutMs: env.HEALTH_CHECK_TIMEOUT_MS,
  };
}
