import { hostname } from 'node:os';
import { ConfigError, int, maybe, oneOf, readEnv, str, url, type EnvOf } from '@mqgw/config';
import { parseStaticServices } from '@mqgw/discovery';

const TOPIC_FILTER = /^(?!\$)[^\u0000]+$/;

/** Every variable the gateway reads, with its default. `.env.example` mirrors this. */
export const gatewayEnvSchema = {
  HTTP_PORT: int({ default: 3000, min: 0, max: 65535, doc: 'health and metrics HTTP port' }),
  HTTP_HOST: str({ default: '127.0.0.1', doc: 'interface for the HTTP side' }),
  MQTT_URL: url({
    default: 'mqtt://127.0.0.1:1883',
    protocols: ['mqtt:', 'mqtts:', 'ws:', 'wss:', 'tcp:'],
    doc: 'broker',
  }),
  MQTT_CLIENT_ID: maybe(
    str({ pattern: /^[\w.:-]{1,64}$/, doc: 'stable id for a persistent session' }),
  ),
  MQTT_USERNAME: maybe(str()),
  MQTT_PASSWORD: maybe(str()),
  MQTT_SESSION_EXPIRY_SECONDS: int({ default: 3600, min: 0, doc: '0 = clean session' }),
  SHARED_SUBSCRIPTION_GROUP: maybe(
    str({ pattern: /^[\w-]{1,64}$/, doc: 'subscribe as $share/<group>/...' }),
  ),
  REDIS_URL: url({ default: 'redis://127.0.0.1:6379', protocols: ['redis:', 'rediss:'] }),
  REDIS_KEY_PREFIX: str({ default: '', pattern: /^[\w:.-]*$/ }),
  SERVICES: maybe(str({ doc: 'static instances: name=url,name=url' })),
  DISCOVERY_REFRESH_MS: int({ default: 2000, min: 100 }),
  UPSTREAM_TIMEOUT_MS: int({ default: 30_000, min: 1 }),
  MAX_PAYLOAD_BYTES: int({ default: 256 * 1024, min: 1 }),
  MAX_INFLIGHT: int({ default: 1024, min: 1 }),
  REPLY_TOPIC_PATTERN: maybe(str({ pattern: TOPIC_FILTER, doc: 'e.g. replies/#' })),
  IDEMPOTENCY_TTL_SECONDS: int({ default: 86_400, min: 1 }),
  METRICS_FLUSH_MS: int({ default: 250, min: 10 }),
  SHUTDOWN_GRACE_MS: int({ default: 10_000, min: 0 }),
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'log', 'debug', 'verbose', 'silent'] as const, {
    default: 'log',
  }),
};

export type GatewayEnv = EnvOf<typeof gatewayEnvSchema>;

export interface GatewayConfig extends GatewayEnv {
  clientId: string;
  staticInstances: NonNullable<ReturnType<typeof parseStaticServices>>;
}

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');

export function readGatewayConfig(
  env: Record<string, string | undefined> = process.env,
): GatewayConfig {
  const parsed = readEnv(gatewayEnvSchema, env);
  const staticInstances = parsed.SERVICES ? parseStaticServices(parsed.SERVICES) : [];
  if (!staticInstances) {
    throw new ConfigError(
      'SERVICES',
      'name=http://host:port pairs separated by commas',
      parsed.SERVICES ?? '',
    );
  }
  return {
    ...parsed,
    clientId: parsed.MQTT_CLIENT_ID ?? `mqgw-${hostname()}-${parsed.HTTP_PORT}`,
    staticInstances,
  };
}
