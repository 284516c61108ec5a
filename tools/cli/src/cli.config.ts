import { maybe, readEnv, str, type EnvOf } from '@mqgw/config';
import { readRedisSettings, redisEnvSchema } from '@mqgw/store';

/**
 * Everything the CLI reads from the environment. Secrets may come from `<NAME>_FILE`, so
 * they never need to be typed on a command line, where `ps` and shell history see them.
 */
export const cliEnvSchema = {
  MQTT_URL: str({ default: 'mqtt://127.0.0.1:1883', doc: 'broker' }),
  MQTT_PUBLIC_URL: maybe(
    str({ doc: 'the broker as clients on the host reach it, for `credentials`; default MQTT_URL' }),
  ),
  STACK_STATE_FILE: str({
    default: 'tmp/stack.json',
    doc: 'what `npm start` writes about its processes, for `routes reload`',
  }),
  MQTT_USERNAME: maybe(str({ doc: 'broker user for requests; default MQTT_CLIENT_USERNAME' })),
  MQTT_PASSWORD: maybe(str({ secret: true })),
  MQTT_CA_FILE: maybe(str({ doc: 'CA certificate to trust for mqtts: and wss:' })),
  MQTT_CLIENT_USERNAME: maybe(str({ doc: 'the deployment’s first API client' })),
  MQTT_CLIENT_PASSWORD: maybe(str({ secret: true })),
  MQTT_ADMIN_USERNAME: str({ default: 'admin', doc: 'dynamic security admin' }),
  MQTT_ADMIN_PASSWORD: maybe(str({ secret: true })),
  MQTT_GATEWAY_PASSWORD: maybe(str({ secret: true, doc: 'set by `broker provision`' })),
  SHARED_SUBSCRIPTION_GROUP: str({ default: 'gateway', pattern: /^[\w-]{1,64}$/ }),
  DASHBOARD_TOKEN: maybe(
    str({ secret: true, doc: 'the gateway’s DASHBOARD_TOKEN, for `routes list`' }),
  ),
  GATEWAY_URL: str({
    default: 'http://127.0.0.1:3000',
    doc: 'a gateway’s HTTP side, for `routes list`',
  }),
  DEVICE_TOPIC_PREFIX: maybe(
    str({
      pattern: /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
      doc: 'the gateway’s device namespace, for `request --device` and broker provisioning',
    }),
  ),
  ...redisEnvSchema,
  REDIS_KEY_PREFIX: str({ default: '', pattern: /^[\w:.-]*$/ }),
  JWT_SECRET: maybe(str({ pattern: /^.{32,}$/s, secret: true })),
  JWT_ISSUER: maybe(str()),
  JWT_AUDIENCE: maybe(str()),
  DEV_SECRET_FILE: str({ default: 'tmp/dev-jwt-secret' }),
  MQGW_TOKEN: maybe(str({ secret: true, doc: 'bearer token for requests' })),
  MQGW_API_KEY: maybe(str({ secret: true, doc: 'API key for requests' })),
  SETUP_STATE_DIR: str({ default: '/var/lib/mqgw/state' }),
  SETUP_OUT_DIR: str({ default: '/var/lib/mqgw/out' }),
  PUBLIC_HOSTS: maybe(str({ doc: 'extra names for the broker certificate, comma-separated' })),
};

export type CliEnv = EnvOf<typeof cliEnvSchema> & {
  redis: ReturnType<typeof readRedisSettings>;
};

export function readCliConfig(env: Record<string, string | undefined>): CliEnv {
  const parsed = readEnv(cliEnvSchema, env);
  return { ...parsed, redis: readRedisSettings(parsed) };
}
