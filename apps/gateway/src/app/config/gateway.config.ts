import { hostname } from 'node:os';
import { readOrCreateDevSecret } from '@mqgw/auth';
import { ConfigError, int, maybe, oneOf, readEnv, str, url, type EnvOf } from '@mqgw/config';
import { BALANCERS, type BalancerName } from '@mqgw/balancing';
import { parseStaticServices } from '@mqgw/discovery';
import { readRedisSettings, redisEnvSchema, type RedisSettings } from '@mqgw/store';
import { LOG_LEVELS } from '@mqgw/logging';

const TOPIC_FILTER = /^(?!\$)[^\u0000]+$/;

/** Every variable the gateway reads, with its default. `.env.example` mirrors this. */
export const gatewayEnvSchema = {
  HTTP_PORT: int({ default: 3000, min: 0, max: 65535, doc: 'health and metrics HTTP port' }),
  HTTP_HOST: str({ default: '127.0.0.1', doc: 'interface for the HTTP side' }),
  MQTT_URL: maybe(
    url({
      protocols: ['mqtt:', 'mqtts:', 'ws:', 'wss:', 'tcp:'],
      doc: 'broker; unset = start an embedded one',
    }),
  ),
  MQTT_PORT: int({ default: 1883, min: 1, max: 65535, doc: 'port of the embedded broker' }),
  MQTT_CLIENT_ID: maybe(
    str({ pattern: /^[\w.:-]{1,64}$/, doc: 'stable id for a persistent session' }),
  ),
  MQTT_USERNAME: maybe(str()),
  MQTT_PASSWORD: maybe(str({ secret: true, doc: 'or MQTT_PASSWORD_FILE' })),
  MQTT_SESSION_EXPIRY_SECONDS: maybe(
    int({ min: 0, doc: '0 = clean session; unset = 3600, or 0 with a shared group' }),
  ),
  SHARED_SUBSCRIPTION_GROUP: maybe(
    str({ pattern: /^[\w-]{1,64}$/, doc: 'subscribe as $share/<group>/...' }),
  ),
  ...redisEnvSchema,
  REDIS_KEY_PREFIX: str({ default: '', pattern: /^[\w:.-]*$/ }),
  SERVICES: maybe(str({ doc: 'static instances: name=url,name=url' })),
  DISCOVERY_REFRESH_MS: int({ default: 2000, min: 100 }),
  UPSTREAM_TIMEOUT_MS: int({ default: 30_000, min: 1 }),
  UPSTREAM_EJECT_SECONDS: int({
    default: 5,
    min: 0,
    doc: 'an instance that refuses a connection leaves routing this long; 0 = never',
  }),
  MAX_PAYLOAD_BYTES: int({ default: 256 * 1024, min: 1 }),
  MAX_INFLIGHT: int({ default: 1024, min: 1 }),
  REPLY_TOPIC_PATTERN: maybe(str({ pattern: TOPIC_FILTER, doc: 'e.g. replies/#' })),
  IDEMPOTENCY_TTL_SECONDS: int({ default: 86_400, min: 1 }),
  METRICS_FLUSH_MS: int({ default: 250, min: 10 }),
  SHUTDOWN_GRACE_MS: int({ default: 10_000, min: 0 }),
  NODE_ENV: str({ default: 'development' }),
  JWT_SECRET: maybe(
    str({ pattern: /^.{32,}$/s, secret: true, doc: 'HS* secret, at least 32 characters' }),
  ),
  JWT_JWKS_URL: maybe(
    url({ protocols: ['http:', 'https:'], doc: 'remote JWKS for RS*/ES*/PS*/EdDSA' }),
  ),
  JWT_ALGORITHMS: maybe(
    str({
      pattern: /^(HS|RS|PS|ES)(256|384|512)(,(HS|RS|PS|ES)(256|384|512)|,EdDSA)*$|^EdDSA$/,
      doc: 'comma list',
    }),
  ),
  JWT_ISSUER: maybe(str()),
  JWT_AUDIENCE: maybe(str()),
  JWT_CLOCK_TOLERANCE_SECONDS: int({ default: 30, min: 0, max: 300 }),
  AUTH_CACHE_MAX: int({ default: 10_000, min: 0 }),
  AUTH_CACHE_TTL_SECONDS: int({ default: 60, min: 0 }),
  API_KEY_CACHE_TTL_SECONDS: int({ default: 5, min: 0, doc: 'upper bound on revocation delay' }),
  DEV_SECRET_FILE: str({
    default: 'tmp/dev-jwt-secret',
    doc: 'where a development JWT secret is kept',
  }),
  ALLOWED_ORIGINS: str({
    default: '*',
    pattern: /^(\*|[^,\s]+(,[^,\s]+)*)$/,
    doc: '* or a comma list of origins',
  }),
  RATE_LIMIT_MAX: int({ default: 1000, min: 1 }),
  RATE_LIMIT_WINDOW_SECONDS: int({ default: 60, min: 1 }),
  RATE_LIMIT_FAIL_MODE: oneOf(['open', 'closed'] as const, { default: 'open' }),
  GATEWAY_RATE_LIMIT_MAX: int({
    default: 600,
    min: 1,
    doc: 'gateway/* group, all callers together',
  }),
  GATEWAY_RATE_LIMIT_WINDOW_SECONDS: int({ default: 60, min: 1 }),
  HEALTH_CHECK_INTERVAL_SECONDS: int({
    default: 10,
    min: 0,
    doc: '0 turns active health checks off',
  }),
  HEALTH_CHECK_TIMEOUT_MS: int({ default: 2000, min: 1 }),
  BALANCER_STRATEGY: oneOf(BALANCERS, { default: 'round-robin' }),
  BALANCER_OVERRIDES: maybe(
    str({
      pattern:
        /^[\w-]+=(round-robin|least-outstanding|weighted)(,[\w-]+=(round-robin|least-outstanding|weighted))*$/,
      doc: 'service=strategy,...',
    }),
  ),
  BREAKER_FAILURE_THRESHOLD: int({ default: 5, min: 1 }),
  BREAKER_RECOVERY_SECONDS: int({ default: 60, min: 1 }),
  BREAKER_HALF_OPEN_PROBES: int({ default: 1, min: 1 }),
  FALLBACK_CACHE_TTL_SECONDS: int({ default: 300, min: 0, doc: '0 turns the stale cache off' }),
  RETRY_BUDGET_PERCENT: int({ default: 10, min: 0, max: 100 }),
  LOG_LEVEL: oneOf(LOG_LEVELS, { default: 'log' }),
};

export type GatewayEnv = EnvOf<typeof gatewayEnvSchema>;

/** The stub services at their default ports: `SERVICES` when no Redis and no SERVICES are set. */
export const LOCAL_SERVICES = [
  'user-service=http://127.0.0.1:3001',
  'user-service-v2=http://127.0.0.1:3001',
  'order-service=http://127.0.0.1:3002',
  'order-service-v2=http://127.0.0.1:3002',
  'payment-service=http://127.0.0.1:3003',
  'notification-service=http://127.0.0.1:3004',
].join(',');

export interface GatewayConfig extends Omit<GatewayEnv, 'MQTT_SESSION_EXPIRY_SECONDS'> {
  /** Resolved: see `sessionExpiryDefault`. */
  MQTT_SESSION_EXPIRY_SECONDS: number;
  clientId: string;
  /** Where the shared state lives; unset = in this process (one instance). */
  redis?: RedisSettings;
  staticInstances: NonNullable<ReturnType<typeof parseStaticServices>>;
  jwt: {
    secret?: string;
    jwksUrl?: string;
    algorithms: string[];
    /** True when the secret was generated for development, not configured. */
    devSecret: boolean;
  };
  allowedOrigins: '*' | ReadonlySet<string>;
  balancerOverrides: Record<string, BalancerName>;
}

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');

export function readGatewayConfig(
  env: Record<string, string | undefined> = process.env,
): GatewayConfig {
  const parsed = readEnv(gatewayEnvSchema, env);
  const redis = readRedisSettings(parsed);
  // Without a registry nothing can self-register: default to the stub services' ports.
  const services = parsed.SERVICES ?? (redis ? undefined : LOCAL_SERVICES);
  const staticInstances = services ? parseStaticServices(services) : [];
  if (!staticInstances) {
    throw new ConfigError(
      'SERVICES',
      'name=http://host:port pairs separated by commas',
      parsed.SERVICES ?? '',
    );
  }
  return {
    ...parsed,
    MQTT_SESSION_EXPIRY_SECONDS:
      parsed.MQTT_SESSION_EXPIRY_SECONDS ?? sessionExpiryDefault(parsed.SHARED_SUBSCRIPTION_GROUP),
    clientId: parsed.MQTT_CLIENT_ID ?? `mqgw-${hostname()}-${parsed.HTTP_PORT}`,
    redis,
    staticInstances,
    jwt: jwtSettings(parsed),
    allowedOrigins:
      parsed.ALLOWED_ORIGINS === '*' ? '*' : new Set(parsed.ALLOWED_ORIGINS.split(',')),
    balancerOverrides: Object.fromEntries(
      (parsed.BALANCER_OVERRIDES?.split(',') ?? []).map(
        (pair) => pair.split('=') as [string, BalancerName],
      ),
    ),
  };
}

/**
 * A persistent session keeps requests for a gateway that is away. Mosquitto goes on
 * routing a shared subscription's share to a member whose session is offline, so behind
 * `$share` a crashed instance would hold its share of new requests until it returns. With
 * a shared group the default is therefore a clean session: survivors take all new
 * requests at once, and only the dead instance's in-flight requests need a client retry.
 */
export function sessionExpiryDefault(sharedGroup: string | undefined): number {
  return sharedGroup ? 0 : 3600;
}

function jwtSettings(env: GatewayEnv): GatewayConfig['jwt'] {
  if (env.JWT_SECRET && env.JWT_JWKS_URL) {
    throw new ConfigError(
      'JWT_JWKS_URL',
      'unset when JWT_SECRET is set (choose one key source)',
      env.JWT_JWKS_URL,
    );
  }
  const algorithms =
    env.JWT_ALGORITHMS?.split(',') ?? (env.JWT_JWKS_URL ? ['RS256', 'ES256'] : ['HS256']);
  const hmac = algorithms.filter((a) => a.startsWith('HS'));
  if (env.JWT_JWKS_URL) {
    if (hmac.length > 0)
      throw new ConfigError(
        'JWT_ALGORITHMS',
        'asymmetric algorithms only with JWT_JWKS_URL',
        env.JWT_ALGORITHMS ?? '',
      );
    return { jwksUrl: env.JWT_JWKS_URL, algorithms, devSecret: false };
  }
  if (hmac.length !== algorithms.length) {
    throw new ConfigError(
      'JWT_ALGORITHMS',
      'HS256, HS384 or HS512 with JWT_SECRET',
      env.JWT_ALGORITHMS ?? '',
    );
  }
  if (env.JWT_SECRET) return { secret: env.JWT_SECRET, algorithms, devSecret: false };
  if (env.NODE_ENV === 'production') {
    throw new ConfigError(
      'JWT_SECRET',
      'a secret of 32+ characters, or JWT_JWKS_URL, when NODE_ENV=production',
      '',
    );
  }
  return { secret: readOrCreateDevSecret(env.DEV_SECRET_FILE), algorithms, devSecret: true };
}
