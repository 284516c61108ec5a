import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** The apps that register in Redis, each with a Redis user of its own. */
export const SERVICE_NAMES = [
  'user-service',
  'order-service',
  'payment-service',
  'notification-service',
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/**
 * Every secret of one deployment. Generated once, kept in a volume, so a restart keeps them;
 * a value the operator sets (JWT secret, the first client's credentials) always wins.
 */
export interface DeploymentSecrets {
  jwtSecret: string;
  mqtt: {
    /** The dynamic security admin (`$CONTROL`), used only by the CLI. */
    admin: string;
    gateway: string;
    /** The broker's own healthcheck: may read `$SYS/broker/uptime` only. */
    health: string;
    /** The first API client; more are added with `mqgw clients add`. */
    client: { username: string; password: string };
  };
  redis: Record<'gateway' | 'cli' | 'health' | ServiceName, string>;
}

/**
 * Generated secrets that `mqgw setup --rotate` replaces: `jwt` (unless the operator sets
 * JWT_SECRET), `gateway` (the gateway's broker password) and `redis` (every Redis user's).
 */
export const ROTATABLE = ['jwt', 'gateway', 'redis'] as const;
export type Rotatable = (typeof ROTATABLE)[number];

export interface SecretOverrides {
  jwtSecret?: string;
  clientUsername?: string;
  clientPassword?: string;
  /** Generated secrets to replace with new ones on this run. */
  rotate?: readonly Rotatable[];
}

export const USERNAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** 32 random bytes, base64url: 43 characters, safe in URLs, files and shell words. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Reads the deployment's secrets from `file`, creates what is missing, applies the
 * operator's overrides, and writes the file back (mode 0600) when anything changed.
 */
export function loadOrCreateSecrets(
  file: string,
  overrides: SecretOverrides = {},
): { secrets: DeploymentSecrets; changed: boolean } {
  const stored = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<DeploymentSecrets>)
    : {};
  if (overrides.jwtSecret !== undefined && overrides.jwtSecret.length < 32) {
    throw new Error('JWT_SECRET must have at least 32 characters');
  }
  if (overrides.clientUsername !== undefined && !USERNAME.test(overrides.clientUsername)) {
    throw new Error(
      'MQTT_CLIENT_USERNAME must be 1 to 64 of A-Z a-z 0-9 _ . - (a topic level of its own)',
    );
  }
  const rotate = new Set(overrides.rotate ?? []);
  const redis = rotate.has('redis')
    ? ({} as Partial<DeploymentSecrets['redis']>)
    : (stored.redis ?? ({} as Partial<DeploymentSecrets['redis']>));
  const secrets: DeploymentSecrets = {
    jwtSecret:
      overrides.jwtSecret ?? (rotate.has('jwt') ? undefined : stored.jwtSecret) ?? newSecret(),
    mqtt: {
      admin: stored.mqtt?.admin ?? newSecret(),
      gateway: (rotate.has('gateway') ? undefined : stored.mqtt?.gateway) ?? newSecret(),
      health: stored.mqtt?.health ?? newSecret(),
      client: {
        username: overrides.clientUsername ?? stored.mqtt?.client?.username ?? 'client',
        password: overrides.clientPassword ?? stored.mqtt?.client?.password ?? newSecret(),
      },
    },
    redis: {
      gateway: redis.gateway ?? newSecret(),
      cli: redis.cli ?? newSecret(),
      health: redis.health ?? newSecret(),
      ...(Object.fromEntries(
        SERVICE_NAMES.map((name) => [name, redis[name] ?? newSecret()]),
      ) as Record<ServiceName, string>),
    },
  };
  const changed = JSON.stringify(secrets) !== JSON.stringify(stored);
  if (changed) writePrivate(file, `${JSON.stringify(secrets, null, 2)}\n`);
  return { secrets, changed };
}

/** Writes a file readable by its owner only, replacing it atomically. */
export function writePrivate(file: string, content: string, mode = 0o600): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, content, { mode });
  renameSync(temporary, file);
}
