import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { WORKSPACE } from './support/processes';
import { SERVICE_APPS, mainOf } from './support/stack';

type Data = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const CLI_MAIN = join(WORKSPACE, 'dist/tools/cli/tools/cli/src/bin.js');

/** The variables a program reads, from its own build (`--env-schema`). */
function schemaOf(main: string): string[] {
  return JSON.parse(execFileSync(process.execPath, [main, '--env-schema'], { encoding: 'utf8' }));
}

/**
 * docker-compose.yml, read as data: the promises the file makes that a quick look can check
 * (the real engine runs it in compose-stack.e2e.spec.ts).
 */
describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(join(WORKSPACE, 'docker-compose.yml'), 'utf8'), {
    merge: true,
  }) as Data;
  const services = compose['services'] as Record<string, Data>;
  const ONE_SHOT = ['setup', 'broker-provision', 'cli'];

  it('runs every app from one image, built once', () => {
    const built = Object.entries(services).filter(([, s]) => s['build']);
    expect(built.map(([name]) => name)).toEqual(['setup']);
    expect(existsSync(join(WORKSPACE, built[0][1]['build'].dockerfile))).toBe(true);
    for (const app of ['gateway', ...SERVICE_APPS, 'broker-provision', 'cli']) {
      expect([app, services[app]['image']]).toEqual([app, '${MQGW_IMAGE:-mqgw:local}']);
    }
    expect(services['gateway']['deploy'].replicas).toBe(2);
    expect(services['gateway']['environment'].SHARED_SUBSCRIPTION_GROUP).toBeTruthy();
  });

  it.each(['gateway', ...SERVICE_APPS])('sets only variables that %s reads', (app) => {
    const known = new Set(schemaOf(mainOf(app)));
    const set = Object.keys(services[app]['environment'] ?? {});
    expect(set.length).toBeGreaterThan(0);
    expect(set.filter((name) => !known.has(name))).toEqual([]);
  });

  it.each(ONE_SHOT)('sets only variables that the CLI reads, for %s', (name) => {
    const known = new Set(schemaOf(CLI_MAIN));
    const set = Object.keys(services[name]['environment'] ?? {});
    expect(set.filter((variable) => !known.has(variable))).toEqual([]);
  });

  it('puts no secret in any environment and gives the JWT secret to gateways and the CLI only', () => {
    for (const [name, service] of Object.entries(services)) {
      expect([name, service['env_file']]).toEqual([name, undefined]);
      const environment = (service['environment'] ?? {}) as Record<string, string>;
      for (const [variable, value] of Object.entries(environment)) {
        if (!/SECRET|PASSWORD|TOKEN/.test(variable) || variable.endsWith('_FILE')) continue;
        // Only the setup step passes on what the operator chose; it is empty by default.
        expect([name, variable, value]).toEqual([name, variable, `\${${variable}:-}`]);
        expect(name).toBe('setup');
      }
      if (environment['JWT_SECRET_FILE']) expect(['gateway', 'cli']).toContain(name);
    }
  });

  it('gives each secrets volume to the setup step and its one consumer', () => {
    const mounts = new Map<string, string[]>();
    for (const [name, service] of Object.entries(services)) {
      for (const volume of (service['volumes'] ?? []) as string[]) {
        const source = volume.split(':')[0];
        if (source.endsWith('-secrets')) mounts.set(source, [...(mounts.get(source) ?? []), name]);
      }
    }
    expect(Object.fromEntries(mounts)).toEqual({
      'gateway-secrets': ['setup', 'gateway'],
      'user-service-secrets': ['setup', 'user-service'],
      'order-service-secrets': ['setup', 'order-service'],
      'payment-service-secrets': ['setup', 'payment-service'],
      'notification-service-secrets': ['setup', 'notification-service'],
      'broker-provision-secrets': ['setup', 'broker-provision'],
      'cli-secrets': ['setup', 'cli'],
    });
  });

  it('mounts in each container only the secrets it reads', () => {
    // What the setup step really writes, consumer by consumer.
    const dir = mkdtempSync(join(tmpdir(), 'compose-setup-'));
    const setup = spawnSync(process.execPath, [CLI_MAIN, 'setup'], {
      env: {
        PATH: process.env['PATH'] ?? '',
        SETUP_STATE_DIR: join(dir, 'state'),
        SETUP_OUT_DIR: join(dir, 'out'),
      },
      encoding: 'utf8',
    });
    expect([setup.status, setup.stderr]).toEqual([0, expect.stringMatching(/^setup: created/)]);
    const outOf = new Map<string, string>();
    for (const volume of services['setup']['volumes'] as string[]) {
      const [source, target] = volume.split(':');
      if (source.endsWith('-secrets')) outOf.set(source, target.split('/').pop()!);
    }
    for (const [name, service] of Object.entries(services)) {
      if (name === 'setup') continue;
      for (const volume of (service['volumes'] ?? []) as string[]) {
        const [source, target] = volume.split(':');
        if (!source.endsWith('-secrets')) continue;
        const given = readdirSync(join(dir, 'out', outOf.get(source)!))
          .filter((file) => !file.endsWith('_username'))
          .sort();
        const read = Object.values((service['environment'] ?? {}) as Record<string, string>)
          .filter((value) => String(value).startsWith(`${target}/`))
          .map((value) => value.slice(target.length + 1))
          .sort();
        expect([name, given]).toEqual([name, read]);
      }
    }
  });

  it('bounds Redis in bytes and never evicts', () => {
    const command = (services['redis']['command'] as string[]).join(' ');
    expect(command).toMatch(/--maxmemory \$\{REDIS_MAXMEMORY:-256mb\}/);
    expect(command).toMatch(/--maxmemory-policy noeviction/);
  });

  it('hardens every container: no capability, no privilege, a non-root user, health-gated order', () => {
    for (const [name, service] of Object.entries(services)) {
      expect([name, service['cap_drop'], service['cap_add']]).toEqual([name, ['ALL'], undefined]);
      expect([name, service['privileged'], service['read_only']]).toEqual([name, false, true]);
      expect([name, service['security_opt']]).toEqual([name, ['no-new-privileges:true']]);
      // The app image runs as `node`; the broker and Redis as their images' own users.
      if (name === 'mosquitto') expect(service['user']).toBe('1883:1883');
      if (name === 'redis') expect(service['user']).toBe('999:999');
      if (ONE_SHOT.includes(name)) {
        expect([name, service['restart']]).toEqual([name, 'no']);
      } else {
        expect([name, service['restart'], Boolean(service['healthcheck']?.test)]).toEqual([
          name,
          'unless-stopped',
          true,
        ]);
      }
      for (const dependency of Object.values(
        (service['depends_on'] ?? {}) as Record<string, Data>,
      )) {
        expect(['service_healthy', 'service_completed_successfully']).toContain(
          dependency['condition'],
        );
      }
    }
    const dockerfile = readFileSync(join(WORKSPACE, 'docker/app.Dockerfile'), 'utf8');
    expect(
      dockerfile
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('USER ')),
    ).toEqual(['USER node']);
  });

  it('publishes configurable ports, plain ones on loopback only', () => {
    const ports = services['mosquitto']['ports'] as string[];
    expect(ports).toEqual([
      '127.0.0.1:${MQTT_PUBLIC_PORT:-1883}:1883',
      '127.0.0.1:${MQTT_WS_PUBLIC_PORT:-9001}:9001',
      '${PUBLIC_BIND_ADDRESS:-127.0.0.1}:${MQTTS_PUBLIC_PORT:-8883}:8883',
      '${PUBLIC_BIND_ADDRESS:-127.0.0.1}:${MQTT_WSS_PUBLIC_PORT:-9443}:9443',
    ]);
    const others = Object.entries(services).filter(
      ([name, s]) => name !== 'mosquitto' && s['ports'],
    );
    expect(others).toEqual([]);
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
    expect(conf).toMatch(/^allow_anonymous false$/m);
    expect(conf).toMatch(/^plugin \/usr\/lib\/mosquitto_dynamic_security\.so$/m);
    expect(conf.match(/^listener \d+$/gm)).toEqual([
      'listener 1883',
      'listener 9001',
      'listener 8883',
      'listener 9443',
    ]);
    expect(conf.match(/^certfile .*$/gm)).toHaveLength(2);
  });

  it('is accepted by the compose tool', () => {
    const result = spawnSync('docker', ['compose', 'config', '-q'], {
      cwd: WORKSPACE,
      encoding: 'utf8',
    });
    expect(result.error).toBeUndefined();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
