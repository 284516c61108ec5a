import { readFileSync } from 'node:fs';
import { ApiKeyStore, DeviceStore } from '@mqgw/auth';
import { DynsecAdmin } from '@mqgw/mosquitto';
import { MqgwClient } from '@mqgw/client';
import { DeviceRequester } from '@mqgw/mqtt-client';
import { RedisKvStore, createRedisClient, type RedisClient } from '@mqgw/store';
import type { CliEnv } from '../cli.config';

/** A mistake in how the CLI was called: one line, exit code 2. */
export class UsageError extends Error {}

function tls(env: CliEnv): { ca?: Buffer } {
  return env.MQTT_CA_FILE ? { ca: readFileSync(env.MQTT_CA_FILE) } : {};
}

/**
 * A client of the MQTT API (`@mqgw/client`) logged in as `MQTT_USERNAME`, else the
 * deployment's first client. A clean session: the CLI does not come back for old replies.
 */
export function connectClient(env: CliEnv): Promise<MqgwClient> {
  const username = env.MQTT_USERNAME ?? env.MQTT_CLIENT_USERNAME;
  const password = env.MQTT_USERNAME ? env.MQTT_PASSWORD : env.MQTT_CLIENT_PASSWORD;
  return MqgwClient.connect(env.MQTT_URL, {
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    sessionExpirySeconds: 0,
    mqtt: { ...tls(env) },
  });
}

/**
 * A device of the namespace `DEVICE_TOPIC_PREFIX`, as MQTT 3.1.1 sees it, logged in as
 * `MQTT_USERNAME` (else the deployment's first client): no token, the login is the identity.
 */
export function connectDevice(env: CliEnv): Promise<DeviceRequester> {
  if (!env.DEVICE_TOPIC_PREFIX) throw new UsageError('set DEVICE_TOPIC_PREFIX for --device');
  const username = env.MQTT_USERNAME ?? env.MQTT_CLIENT_USERNAME;
  const password = env.MQTT_USERNAME ? env.MQTT_PASSWORD : env.MQTT_CLIENT_PASSWORD;
  if (!username) throw new UsageError('set MQTT_USERNAME: a device is its broker login');
  return DeviceRequester.connect(env.MQTT_URL, {
    prefix: env.DEVICE_TOPIC_PREFIX,
    username,
    ...(password ? { password } : {}),
    ...tls(env),
  });
}

export function connectAdmin(env: CliEnv): Promise<DynsecAdmin> {
  if (!env.MQTT_ADMIN_PASSWORD) {
    throw new UsageError('set MQTT_ADMIN_PASSWORD or MQTT_ADMIN_PASSWORD_FILE');
  }
  return DynsecAdmin.connect(env.MQTT_URL, {
    username: env.MQTT_ADMIN_USERNAME,
    password: env.MQTT_ADMIN_PASSWORD,
    ...tls(env),
  });
}

/** Redis with the gateway's own settings: one node, a Cluster or Sentinels. */
export async function withRedis<T>(
  env: CliEnv,
  use: (redis: RedisClient) => Promise<T>,
): Promise<T> {
  const settings = env.redis ?? { kind: 'url' as const, url: 'redis://127.0.0.1:6379' };
  const redis = createRedisClient(settings, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    lazyConnect: true,
  });
  redis.on('error', () => undefined); // the command's own failure says what went wrong
  try {
    await redis.connect();
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

export function apiKeyStore(env: CliEnv, redis: RedisClient): ApiKeyStore {
  return new ApiKeyStore(new RedisKvStore(redis), { keyPrefix: env.REDIS_KEY_PREFIX });
}

export function deviceStore(env: CliEnv, redis: RedisClient): DeviceStore {
  return new DeviceStore(new RedisKvStore(redis), { keyPrefix: env.REDIS_KEY_PREFIX });
}
