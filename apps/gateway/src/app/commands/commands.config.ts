import { ConfigError, bool, int, type EnvOf } from '@mqgw/config';

/** Commands to devices over HTTP (`POST /devices/{username}/commands/{name}`). */
export const commandsEnv = {
  DEVICE_COMMANDS: bool({
    default: true,
    doc: 'serve commands to devices over HTTP; needs DEVICE_TOPIC_PREFIX, or the embedded broker (prefix things)',
  }),
  COMMAND_TIMEOUT_DEFAULT_MS: int({ default: 10_000, min: 100, doc: 'when the call names none' }),
  COMMAND_TIMEOUT_MAX_MS: int({ default: 60_000, min: 100, doc: 'cap on ?timeout_ms' }),
  COMMAND_MAX_BYTES: int({
    default: 64 * 1024,
    min: 16,
    max: 1024 * 1024,
    doc: 'largest command body, and largest answer kept',
  }),
  COMMAND_MAX_PENDING: int({
    default: 100,
    min: 1,
    doc: 'commands one caller may have waiting or queued at once',
  }),
  COMMAND_QUEUE_TTL_SECONDS: int({
    default: 3600,
    min: 1,
    doc: 'how long a queued command waits for its device (message expiry)',
  }),
  COMMAND_RESULT_TTL_SECONDS: int({
    default: 3600,
    min: 1,
    doc: 'how long an answer to a queued or keyed command can be fetched',
  }),
  COMMAND_RATE_LIMIT_MAX: int({ default: 60, min: 1, doc: 'commands per window per caller' }),
  COMMAND_RATE_LIMIT_WINDOW_SECONDS: int({ default: 60, min: 1 }),
  COMMAND_AUTH_FAILURE_LIMIT: int({
    default: 30,
    min: 1,
    doc: 'failed authentications per window per remote address',
  }),
  COMMAND_MAX_DEVICES: int({
    default: 100_000,
    min: 1,
    doc: 'devices whose presence this gateway keeps',
  }),
};

export interface CommandsConfig {
  enabled: boolean;
  /** The device prefix commands go under; unset when commands are off. */
  prefix?: string;
  /** True with the embedded broker, which keeps no device from another's topics. */
  unprotected: boolean;
  defaultTimeoutMs: number;
  maxTimeoutMs: number;
  maxBytes: number;
  maxPending: number;
  queueTtlSeconds: number;
  resultTtlSeconds: number;
  rateLimit: { limit: number; windowMs: number };
  authFailures: { limit: number; windowMs: number };
  maxDevices: number;
}

export const COMMANDS_CONFIG = Symbol('COMMANDS_CONFIG');

/** The prefix commands use with the embedded broker, where DEVICE_TOPIC_PREFIX is refused. */
export const EMBEDDED_COMMAND_PREFIX = 'things';

export function readCommandsConfig(
  env: EnvOf<typeof commandsEnv>,
  transport: { devicePrefix?: string; url?: string },
  authFailureWindowSeconds: number,
): CommandsConfig {
  if (env.COMMAND_TIMEOUT_DEFAULT_MS > env.COMMAND_TIMEOUT_MAX_MS) {
    throw new ConfigError(
      'COMMAND_TIMEOUT_DEFAULT_MS',
      `at most COMMAND_TIMEOUT_MAX_MS (${env.COMMAND_TIMEOUT_MAX_MS})`,
      String(env.COMMAND_TIMEOUT_DEFAULT_MS),
    );
  }
  // The embedded broker admits anyone, so the device namespace for requests stays off
  // there; commands still work, for development, and the gateway says they are not private.
  const embedded = !transport.url;
  const prefix = transport.devicePrefix ?? (embedded ? EMBEDDED_COMMAND_PREFIX : undefined);
  const enabled = env.DEVICE_COMMANDS && prefix !== undefined;
  return {
    enabled,
    prefix: enabled ? prefix : undefined,
    unprotected: embedded,
    defaultTimeoutMs: env.COMMAND_TIMEOUT_DEFAULT_MS,
    maxTimeoutMs: env.COMMAND_TIMEOUT_MAX_MS,
    maxBytes: env.COMMAND_MAX_BYTES,
    maxPending: env.COMMAND_MAX_PENDING,
    queueTtlSeconds: env.COMMAND_QUEUE_TTL_SECONDS,
    resultTtlSeconds: env.COMMAND_RESULT_TTL_SECONDS,
    rateLimit: {
      limit: env.COMMAND_RATE_LIMIT_MAX,
      windowMs: env.COMMAND_RATE_LIMIT_WINDOW_SECONDS * 1000,
    },
    authFailures: {
      limit: env.COMMAND_AUTH_FAILURE_LIMIT,
      windowMs: authFailureWindowSeconds * 1000,
    },
    maxDevices: env.COMMAND_MAX_DEVICES,
  };
}
