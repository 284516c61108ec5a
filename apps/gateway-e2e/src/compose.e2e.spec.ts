import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { WORKSPACE } from './support/processes';
import { SERVICE_APPS, mainOf } from './support/stack';

type Data = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const APPS = ['gateway', ...SERVICE_APPS];

/** The variables an app reads, from its own build (`--env-schema`). */
function schemaOf(app: string): string[] {
  return JSON.parse(
    execFileSync(process.execPath, [mainOf(app), '--env-schema'], { encoding: 'utf8' }),
  );
}

/**
 * docker-compose.yml, checked without a Docker engine: the same facts `docker compose up`
 * would trip over, plus the hardening every service must have.
 */
describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(join(WORKSPACE, 'docker-compose.yml'), 'utf8'), {
    merge: true,
  }) as Data;
  const services = compose['services'] as Record<string, Data>;

  it('has a service for every app, built with its Dockerfile from the app name', () => {
    for (const app of APPS) {
      expect(services[app]).toBeDefined();
      expect(services[app]['build'].args.APP).toBe(app);
      expect(existsSync(join(WORKSPACE, services[app]['build'].dockerfile))).toBe(true);
    }
    expect(services['gateway']['deploy'].replicas).toBe(2);
    expect(services['gateway']['environment'].SHARED_SUBSCRIPTION_GROUP).toBeTruthy();
  });

  it.each(APPS)('sets only variables that %s reads', (app) => {
    const known = new Set(schemaOf(app));
    const set = Object.keys(services[app]['environment'] ?? {});
    expect(set.length).toBeGreaterThan(0);
    expect(set.filter((name) => !known.has(name))).toEqual([]);
  });

  it('gives every service a healthcheck, a restart policy, no privileges, and health-gated dependencies', () => {
    for (const [name, service] of Object.entries(services)) {
      expect([name, Boolean(service['healthcheck']?.test)]).toEqual([name, true]);
      expect([name, service['restart']]).toEqual([name, 'unless-stopped']);
      expect([name, service['cap_drop']]).toEqual([name, ['ALL']]);
      expect([name, service['privileged']]).toEqual([name, false]);
      for (const dependency of Object.values(
        (service['depends_on'] ?? {}) as Record<string, Data>,
      )) {
        expect(dependency['condition']).toBe('service_healthy');
      }
    }
  });

  it('publishes no host port twice', () => {
    const published = Object.values(services).flatMap((s) =>
      ((s['ports'] ?? []) as string[]).map((p) => String(p).split(':').slice(0, -1).join(':')),
    );
    expect(new Set(published).size).toBe(published.length);
  });

  it('refers only to files that exist, and the broker config keeps its promises', () => {
    for (const service of Object.values(services)) {
      for (const volume of (service['volumes'] ?? []) as string[]) {
        const source = volume.split(':')[0];
        if (source.startsWith('.'))
          expect([source, existsSync(join(WORKSPACE, source))]).toEqual([source, true]);
      }
    }
    const conf = readFileSync(join(WORKSPACE, 'config/mosquitto/mosquitto.conf'), 'utf8');
    expect(conf).toMatch(/^set_tcp_nodelay true$/m);
    expect(conf).toMatch(/^listener 1883$/m);
    expect(conf).toMatch(/^listener 9001$/m);
    expect(conf).toMatch(/^allow_anonymous false$/m);
    const acl = readFileSync(join(WORKSPACE, 'config/mosquitto/acl'), 'utf8');
    expect(acl).toContain('pattern read replies/%c/#');
    expect(acl).toContain('topic read $share/+/api/#');

    // Where the compose tool is installed, it must accept the file too.
    if (spawnSync('docker', ['compose', 'version']).status === 0) {
      const result = spawnSync('docker', ['compose', 'config', '-q'], {
        cwd: WORKSPACE,
        encoding: 'utf8',
        env: {
          ...process.env,
          JWT_SECRET: 'x'.repeat(32),
          GATEWAY_MQTT_PASSWORD: 'p',
          CLIENT_MQTT_PASSWORD: 'q',
        },
      });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    }
  });
});
