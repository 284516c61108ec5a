import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { brokerBootstrap } from './broker-policy';
import { devCaFiles, ensureDevCa } from './dev-ca';
import { redisAclFile } from './redis-acl';
import {
  SERVICE_NAMES,
  loadOrCreateSecrets,
  writePrivate,
  type DeploymentSecrets,
  type SecretOverrides,
} from './secrets';

export interface SetupOptions {
  /** Where the secrets are kept between runs (a volume only this step mounts). */
  stateDir: string;
  /**
   * One directory per consumer, each a volume that only that consumer mounts:
   * `gateway`, each service, `broker-provision`, `cli`, `broker` and `redis`.
   */
  outDir: string;
  overrides?: SecretOverrides;
  /** Names and addresses the broker's certificate must cover. */
  brokerHosts?: readonly string[];
}

export interface SetupResult {
  secrets: DeploymentSecrets;
  /** What this run created or changed, for the log; never a secret. */
  changes: string[];
}

/**
 * Prepares a deployment without any privilege: generates what is missing (JWT secret,
 * broker and Redis passwords, a development CA) and gives each consumer only what it uses.
 * Idempotent: a second run changes nothing unless an override changed.
 */
export async function runSetup(options: SetupOptions): Promise<SetupResult> {
  const changes: string[] = [];
  const { secrets, changed } = loadOrCreateSecrets(
    join(options.stateDir, 'secrets.json'),
    options.overrides,
  );
  if (changed) changes.push('secrets');
  const hosts = options.brokerHosts ?? ['mosquitto', 'localhost', '127.0.0.1', '::1'];
  const ca = await ensureDevCa(join(options.stateDir, 'tls'), hosts);
  if (ca.created) changes.push('development CA and broker certificate');

  const volumes = new ConsumerVolumes(options.outDir);
  const tls = devCaFiles(join(options.stateDir, 'tls'));
  giveSecrets(volumes, secrets);
  volumes.copy('cli', tls.caCert, 'ca.pem');
  volumes.removeUngiven();
  // The broker and Redis run as users of their own images: their files are readable by
  // anyone who mounts their volume, which only they (and this step) do.
  volumes.copy('broker', tls.caCert, 'ca.pem');
  volumes.copy('broker', tls.serverCert, 'server.pem');
  volumes.copy('broker', tls.serverKey, 'server-key.pem');
  volumes.put('broker', 'health_password', secrets.mqtt.health, 0o644);
  // Written once: the broker owns its copy in its data volume from then on.
  if (!existsSync(volumes.path('broker', 'dynamic-security.json')) || changed) {
    const bootstrap = JSON.stringify(brokerBootstrap(secrets), null, 2);
    volumes.put('broker', 'dynamic-security.json', bootstrap, 0o644);
  }
  volumes.put('redis', 'users.acl', redisAclFile(secrets), 0o644);
  volumes.put('redis', 'health_password', secrets.redis.health, 0o644);
  return { secrets, changes };
}

/** Each consumer's secrets, and no other's. */
function giveSecrets(volumes: ConsumerVolumes, secrets: DeploymentSecrets): void {
  volumes.put('gateway', 'jwt_secret', secrets.jwtSecret);
  volumes.put('gateway', 'mqtt_password', secrets.mqtt.gateway);
  volumes.put('gateway', 'redis_password', secrets.redis.gateway);
  for (const service of SERVICE_NAMES) {
    volumes.put(service, 'redis_password', secrets.redis[service]);
  }
  // Provisioning sets the broker's logins: it needs their passwords and the admin's, and
  // nothing else (not the JWT secret, not a Redis password).
  volumes.put('broker-provision', 'mqtt_admin_password', secrets.mqtt.admin);
  volumes.put('broker-provision', 'mqtt_gateway_password', secrets.mqtt.gateway);
  volumes.put('broker-provision', 'mqtt_client_password', secrets.mqtt.client.password);

  volumes.put('cli', 'jwt_secret', secrets.jwtSecret);
  volumes.put('cli', 'mqtt_admin_password', secrets.mqtt.admin);
  volumes.put('cli', 'mqtt_client_username', secrets.mqtt.client.username);
  volumes.put('cli', 'mqtt_client_password', secrets.mqtt.client.password);
  volumes.put('cli', 'redis_password', secrets.redis.cli);
}

/** One directory per consumer, remembering what this run gave each. */
class ConsumerVolumes {
  private readonly given = new Map<string, Set<string>>();

  constructor(private readonly outDir: string) {}

  path(consumer: string, file: string): string {
    return join(this.outDir, consumer, file);
  }

  put(consumer: string, file: string, value: string, mode = 0o600): void {
    mkdirSync(join(this.outDir, consumer), { recursive: true });
    writePrivate(this.path(consumer, file), value, mode);
    this.remember(consumer, file);
  }

  copy(consumer: string, from: string, file: string): void {
    mkdirSync(join(this.outDir, consumer), { recursive: true });
    copyFileSync(from, this.path(consumer, file));
    this.remember(consumer, file);
  }

  /**
   * A consumer keeps only what it was given so far in this run: an older version may have
   * given it more. (The broker's and Redis's volumes are written after this, and kept.)
   */
  removeUngiven(): void {
    for (const [consumer, files] of this.given) {
      for (const file of readdirSync(join(this.outDir, consumer))) {
        if (!files.has(file)) rmSync(this.path(consumer, file), { force: true });
      }
    }
  }

  private remember(consumer: string, file: string): void {
    this.given.set(consumer, (this.given.get(consumer) ?? new Set()).add(file));
  }
}
