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

  const out = (consumer: string, file: string) => join(options.outDir, consumer, file);
  const written = new Map<string, Set<string>>();
  const put = (consumer: string, file: string, value: string, mode = 0o600) => {
    mkdirSync(join(options.outDir, consumer), { recursive: true });
    writePrivate(out(consumer, file), value, mode);
    written.set(consumer, (written.get(consumer) ?? new Set()).add(file));
  };

  put('gateway', 'jwt_secret', secrets.jwtSecret);
  put('gateway', 'mqtt_password', secrets.mqtt.gateway);
  put('gateway', 'redis_password', secrets.redis.gateway);
  for (const service of SERVICE_NAMES) put(service, 'redis_password', secrets.redis[service]);

  // Provisioning sets the broker's logins: it needs their passwords and the admin's, and
  // nothing else (not the JWT secret, not a Redis password).
  put('broker-provision', 'mqtt_admin_password', secrets.mqtt.admin);
  put('broker-provision', 'mqtt_gateway_password', secrets.mqtt.gateway);
  put('broker-provision', 'mqtt_client_password', secrets.mqtt.client.password);

  put('cli', 'jwt_secret', secrets.jwtSecret);
  put('cli', 'mqtt_admin_password', secrets.mqtt.admin);
  put('cli', 'mqtt_client_username', secrets.mqtt.client.username);
  put('cli', 'mqtt_client_password', secrets.mqtt.client.password);
  put('cli', 'redis_password', secrets.redis.cli);

  // The broker and Redis run as users of their own images: their files are readable by
  // anyone who mounts their volume, which only they (and this step) do.
  const tls = devCaFiles(join(options.stateDir, 'tls'));
  mkdirSync(join(options.outDir, 'broker'), { recursive: true });
  for (const [from, to] of [
    [tls.caCert, 'ca.pem'],
    [tls.serverCert, 'server.pem'],
    [tls.serverKey, 'server-key.pem'],
  ] as const) {
    copyFileSync(from, out('broker', to));
  }
  copyFileSync(tls.caCert, out('cli', 'ca.pem'));
  written.get('cli')?.add('ca.pem');
  // A consumer keeps only what it is given now: an older version may have given it more.
  for (const [consumer, files] of written) {
    for (const file of readdirSync(join(options.outDir, consumer))) {
      if (!files.has(file)) rmSync(out(consumer, file), { force: true });
    }
  }
  put('broker', 'health_password', secrets.mqtt.health, 0o644);
  // Written once: the broker owns its copy in its data volume from then on.
  if (!existsSync(out('broker', 'dynamic-security.json')) || changed) {
    put(
      'broker',
      'dynamic-security.json',
      JSON.stringify(brokerBootstrap(secrets), null, 2),
      0o644,
    );
  }
  put('redis', 'users.acl', redisAclFile(secrets), 0o644);
  put('redis', 'health_password', secrets.redis.health, 0o644);
  return { secrets, changes };
}
