import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { WORKSPACE } from './support/processes';
import { readmeCommands } from './support/readme';
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

  it('builds the image on every up, so up never runs an image older than the source', () => {
    expect(services['setup']['pull_policy']).toBe('build');
  });

  it('gives `credentials` the broker as the host reaches it, on the published port', () => {
    expect(services['cli']['environment'].MQTT_PUBLIC_URL).toBe(
      'mqtt://127.0.0.1:${MQTT_PUBLIC_PORT:-1883}',
    );
    expect(services['mosquitto']['ports'][0]).toBe('127.0.0.1:${MQTT_PUBLIC_PORT:-1883}:1883');
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

/** `docker compose` with the -f files of a README line; `config` needs no engine. */
function composeConfig(line: string, format: 'json' | 'quiet') {
  const files = [...line.matchAll(/-f (\S+)/g)].flatMap((m) => ['-f', m[1]]);
  return spawnSync(
    'docker',
    ['compose', ...files, 'config', ...(format === 'json' ? ['--format', 'json'] : ['--quiet'])],
    { cwd: WORKSPACE, encoding: 'utf8', env: { ...process.env, COMPOSE_PROJECT_NAME: 'mqgw' } },
  );
}

/** The README's compose commands, read from it: each names files that parse together. */
describe('the README on compose', () => {
  const readme = readFileSync(join(WORKSPACE, 'README.md'), 'utf8');
  const lines = ['compose-walkthrough', 'compose-ports', 'compose-own-service'].flatMap((name) =>
    readmeCommands(readme, name).flat(),
  );

  it.each(lines.filter((line) => line.startsWith('docker compose')))(
    'names compose files that parse: %s',
    (line) => {
      const config = composeConfig(line, 'quiet');
      expect([line, config.status, config.stderr]).toEqual([line, 0, '']);
    },
  );

  it('publishes the gateways’ HTTP side on the host’s loopback only, with the ports override', () => {
    const line = readmeCommands(readme, 'compose-ports').flat()[0];
    expect(line).toMatch(/^docker compose -f docker-compose\.yml -f docker-compose\.ports\.yml up/);
    const config = JSON.parse(composeConfig(line, 'json').stdout) as Data;
    const ports = config['services']['gateway']['ports'] as Data[];
    expect(ports.map((p) => [p['host_ip'], p['target'], p['published']])).toEqual([
      ['127.0.0.1', 3000, '3000-3001'],
    ]);
    expect(config['services']['gateway']['deploy'].replicas).toBe(2);
  });

  it('adds your own service with a routes folder that checks', () => {
    const check = readmeCommands(readme, 'compose-own-service')
      .flat()
      .find((line) => line.startsWith('npm run -s cli -- routes check'));
    const file = check?.split(' ').pop() as string;
    const result = spawnSync(process.execPath, [CLI_MAIN, 'routes', 'check', file], {
      cwd: WORKSPACE,
      encoding: 'utf8',
    });
    expect([result.status, result.stderr]).toEqual([0, expect.stringContaining(', ok (')]);
    const config = JSON.parse(
      composeConfig('-f docker-compose.yml -f docker/compose/my-service.yml', 'json').stdout,
    ) as Data;
    const gateway = config['services']['gateway'];
    expect(gateway['environment'].ROUTES_FILE).toBe('/app/config/my/routes.yaml');
    expect(gateway['volumes'].map((v: Data) => [v['source'], v['target']])).toContainEqual([
      join(WORKSPACE, 'docker/compose/my-routes'),
      '/app/config/my',
    ]);
  });

  it('keeps client.env, which holds a password and a token, out of git and the image', () => {
    expect(spawnSync('git', ['check-ignore', '-q', 'client.env'], { cwd: WORKSPACE }).status).toBe(
      0,
    );
    const dockerignore = readFileSync(join(WORKSPACE, '.dockerignore'), 'utf8').split('\n');
    expect(dockerignore).toContain('client.env');
    expect(lines).toContain('docker compose run --rm cli credentials > client.env');
  });
});
