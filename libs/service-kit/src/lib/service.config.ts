import { LOG_FORMATS, LOG_LEVELS, chooseLogFormat, isCi, type LogFormat } from '@mqgw/logging';
import { readRedisSettings, redisEnvSchema, type RedisSettings } from '@mqgw/store';
import { tracingEnvSchema } from '@mqgw/tracing';
import {
  exitWithEnvSchemaIfAsked,
  int,
  loadConfigOrExit,
  maybe,
  oneOf,
  readEnv,
  str,
  url,
  type EnvOf,
  type EnvSchema,
} from '@mqgw/config';

/** The variables every stub service reads; each app adds its default port. */
export function serviceEnvSchema(defaultPort: number) {
  return {
    PORT: int({ default: defaultPort, min: 0, max: 65535, doc: 'HTTP port' }),
    HOST: str({ default: '127.0.0.1', doc: 'interface to listen on' }),
    PUBLIC_URL: maybe(
      url({
        protocols: ['http:', 'https:'],
        doc: 'URL the gateway should call; default http://HOST:PORT',
      }),
    ),
    ...redisEnvSchema,
    REDIS_KEY_PREFIX: str({
      default: '',
      pattern: /^[\w:.-]*$/,
      doc: 'prefix of every registry key',
    }),
    INSTANCE_ID: maybe(
      str({ pattern: /^[\w.-]+$/, doc: 'registry instance id; default a random UUID' }),
    ),
    HEARTBEAT_SECONDS: int({ default: 5, min: 1, doc: 'registry heartbeat period' }),
    REGISTRY_TTL_SECONDS: int({
      default: 15,
      min: 1,
      doc: 'registry entry lifetime without heartbeat',
    }),
    SERVICE_VERSION: str({ default: '1.0.0' }),
    LOG_LEVEL: oneOf(LOG_LEVELS, { default: 'log' }),
    LOG_FORMAT: maybe(
      oneOf(LOG_FORMATS, {
        doc: 'default pretty at a terminal, json in production, in CI and into a pipe or file',
      }),
    ),
    ...tracingEnvSchema,
  };
}

export interface ServiceConfig extends EnvOf<ReturnType<typeof serviceEnvSchema>> {
  /** The registry's Redis; unset = no self-registration. */
  redis?: RedisSettings;
  /** LOG_FORMAT, or the default for where the service runs. */
  logFormat: LogFormat;
}

export function readServiceConfig(
  defaultPort: number,
  env: Record<string, string | undefined> = process.env,
): ServiceConfig {
  const parsed = readEnv(serviceEnvSchema(defaultPort), env);
  const logFormat = chooseLogFormat(parsed.LOG_FORMAT, {
    tty: process.stdout.isTTY === true,
    production: env['NODE_ENV'] === 'production',
    ci: isCi(env['CI']),
  });
  return { ...parsed, redis: readRedisSettings(parsed), logFormat };
}

/**
 * Boot-time config for a service's main.ts: `--env-schema`, then a one-line exit on bad
 * values. `own` declares the variables only this service reads.
 */
export function loadServiceConfig<S extends EnvSchema = Record<never, never>>(
  defaultPort: number,
  own: S = {} as S,
): ServiceConfig & EnvOf<S> {
  exitWithEnvSchemaIfAsked({ ...serviceEnvSchema(defaultPort), ...own });
  return loadConfigOrExit(() => ({ ...readServiceConfig(defaultPort), ...readEnv(own) }));
}
