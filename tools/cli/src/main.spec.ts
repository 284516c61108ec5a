import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { run, readStdinLine } from './main';

function io(env: Record<string, string | undefined> = {}, stdin = '') {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      out: (l: string) => out.push(l),
      err: (l: string) => err.push(l),
      env,
      readLine: async () => stdin,
    },
  };
}

const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());

describe('cli', () => {
  it('prints help with --help and exits 0, and 2 without a command', async () => {
    const a = io();
    expect(await run(['--help'], a.io)).toBe(0);
    expect(a.out.join('\n')).toContain('request [options] <topic>');
    expect(a.out.join('\n')).toContain('tokens and keys are never taken as arguments');
    const none = io();
    expect(await run([], none.io)).toBe(2);
    expect(none.err.join('\n')).toContain('Usage: mqgw');
  });

  it('explains bad usage in one line and exits 2', async () => {
    for (const [args, message] of [
      [['frobnicate'], "error: unknown command 'frobnicate'"],
      [['request'], "error: missing required argument 'topic'"],
      [['request', 't', '--qos', '3'], "error: option '--qos <n>' argument '3' is invalid"],
      [['request', 't', '--data', '{oops'], 'error: --data is not valid JSON'],
      [['request', 't', '--header', 'novalue'], 'error: --header expects name=value, got novalue'],
      [['request', 't', '--timeout', 'soon'], 'expected a positive integer'],
      [['keys', 'create'], "error: required option '--owner <id>' not specified"],
      [['credentials'], 'error: set MQTT_CLIENT_USERNAME and MQTT_CLIENT_PASSWORD(_FILE)'],
      [['clients', 'list'], 'error: set MQTT_ADMIN_PASSWORD or MQTT_ADMIN_PASSWORD_FILE'],
    ] as const) {
      const c = io();
      expect([args.join(' '), await run([...args], c.io)]).toEqual([args.join(' '), 2]);
      expect(c.err).toHaveLength(1);
      expect(c.err[0]).toContain(message);
    }
  });

  it('takes no token or API key as an argument', async () => {
    for (const flag of ['--token', '--api-key']) {
      const c = io();
      expect(await run(['request', 't', flag, 'secret-value'], c.io)).toBe(2);
      expect(c.err[0]).toContain(`unknown option '${flag}'`);
    }
  });

  it('mints a token from the development secret file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cli-')), 'secret');
    writeFileSync(file, 's'.repeat(40));
    const c = io({ DEV_SECRET_FILE: file });
    expect(await run(['token', '--sub', 'u1', '--scope', 'a,b', '--ttl', '60'], c.io)).toBe(0);
    const claims = claimsOf(c.out[0]);
    expect(claims).toMatchObject({ sub: 'u1', scope: 'a b' });
    expect(claims.exp - claims.iat).toBe(60);
    const none = io({ DEV_SECRET_FILE: join(tmpdir(), 'does-not-exist') });
    expect(await run(['token', '--sub', 'u1'], none.io)).toBe(2);
    expect(none.err[0]).toMatch(/^error: no secret/);
  });

  it('reads secrets from <NAME>_FILE and puts issuer and audience in tokens', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-'));
    writeFileSync(join(dir, 'jwt'), `${'j'.repeat(40)}\n`);
    writeFileSync(join(dir, 'pw'), 'client-password\n');
    const c = io({
      JWT_SECRET_FILE: join(dir, 'jwt'),
      JWT_ISSUER: 'mqgw',
      JWT_AUDIENCE: 'mqgw-api',
      MQTT_CLIENT_USERNAME: 'ada',
      MQTT_CLIENT_PASSWORD_FILE: join(dir, 'pw'),
    });
    expect(await run(['credentials', '--ttl', '120'], c.io)).toBe(0);
    expect(c.out[0]).toBe('MQTT_URL=mqtt://127.0.0.1:1883');
    expect(c.out[1]).toBe('MQTT_USERNAME=ada');
    expect(c.out[2]).toBe('MQTT_PASSWORD=client-password');
    const claims = claimsOf(c.out[3].replace('MQGW_TOKEN=', ''));
    expect(claims).toMatchObject({ sub: 'ada', iss: 'mqgw', aud: 'mqgw-api' });
    expect(claims.exp - claims.iat).toBe(120);
  });

  it('prints the broker clients on the host use, not the one it reaches inside compose', async () => {
    const c = io({
      JWT_SECRET: 'j'.repeat(40),
      MQTT_URL: 'mqtt://mosquitto:1883',
      MQTT_PUBLIC_URL: 'mqtt://127.0.0.1:1993',
      MQTT_CLIENT_USERNAME: 'ada',
      MQTT_CLIENT_PASSWORD: 'pw',
    });
    expect(await run(['credentials'], c.io)).toBe(0);
    expect(c.out[0]).toBe('MQTT_URL=mqtt://127.0.0.1:1993');
  });

  it('names the broker it could not reach, and where that broker came from', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise((resolve) => server.close(resolve)); // a port nobody listens on
    const c = io({ MQTT_URL: `mqtt://user:secret@127.0.0.1:${port}` });
    expect(await run(['request', 'api/v1/users/list', '--timeout', '500'], c.io)).toBe(2);
    expect(c.err).toEqual([
      expect.stringMatching(
        new RegExp(
          `^error: cannot reach the broker mqtt://\\*\\*\\*@127\\.0\\.0\\.1:${port} \\(MQTT_URL\\): `,
        ),
      ),
    ]);
  });

  it('says, without a running stack, where routes reload looks and what to do instead', async () => {
    const c = io({ STACK_STATE_FILE: join(tmpdir(), 'no-such-stack.json') });
    expect(await run(['routes', 'reload'], c.io)).toBe(2);
    expect(c.err[0]).toContain('no running stack:');
    expect(c.err[0]).toContain('docker compose kill -s HUP gateway');
  });

  it('prepares a deployment with setup, idempotently', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-setup-'));
    const env = {
      SETUP_STATE_DIR: join(dir, 'state'),
      SETUP_OUT_DIR: join(dir, 'out'),
      MQTT_CLIENT_USERNAME: 'ada',
    };
    const first = io(env);
    expect(await run(['setup'], first.io)).toBe(0);
    expect(first.err[0]).toMatch(/^setup: created secrets, development CA/);
    expect(readFileSync(join(dir, 'out/cli/mqtt_client_username'), 'utf8')).toBe('ada');
    const again = io(env);
    expect(await run(['setup'], again.io)).toBe(0);
    expect(again.err[0]).toBe('setup: nothing to change; client ada');
    const redisPassword = () => readFileSync(join(dir, 'out/user-service/redis_password'), 'utf8');
    const gatewaySecret = () => readFileSync(join(dir, 'out/gateway/jwt_secret'), 'utf8');
    const [oldRedis, oldJwt] = [redisPassword(), gatewaySecret()];
    const rotated = io(env);
    expect(await run(['setup', '--rotate', 'redis'], rotated.io)).toBe(0);
    expect(rotated.err[0]).toBe('setup: created secrets; client ada');
    expect([redisPassword() === oldRedis, gatewaySecret() === oldJwt]).toEqual([false, true]);
    const wrong = io(env);
    expect(await run(['setup', '--rotate', 'admin'], wrong.io)).not.toBe(0);
    expect(wrong.err.join('\n')).toContain('expected jwt, gateway, redis; got admin');
  });

  it('checks a routes file, and names the file, line and field of a mistake', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-routes-'));
    const good = join(dir, 'routes.yaml');
    writeFileSync(
      good,
      'services:\n  inventory-service:\ngroups:\n  - prefix: api/v1\n    steps: [auth]\n    routes:\n      - { topic: inventory/list, qos: 1, service: inventory-service, method: GET, path: /items }\n',
    );
    const ok = io({});
    expect(await run(['routes', 'check', good], ok.io)).toBe(0);
    expect(ok.out.join('\n')).toContain('api/v1/inventory/list  1    inventory-service GET /items');
    expect(ok.err[0]).toMatch(/routes\.yaml: 4 routes, 1 services, ok/);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, readFileSync(good, 'utf8').replace('GET', 'FETCH'));
    const refused = io({});
    expect(await run(['routes', 'check', bad], refused.io)).toBe(1);
    expect(refused.err).toEqual([
      'routes error: bad.yaml:7 groups[0].routes[0].method: expected one of GET, POST, PUT, PATCH, DELETE, got "FETCH"',
    ]);
    const shadowing = join(dir, 'shadowing.yaml');
    writeFileSync(
      shadowing,
      `${readFileSync(good, 'utf8')}  - prefix: gateway\n    steps: []\n    routes:\n      - { topic: health, qos: 1, handler: health }\n`,
    );
    const warned = io({});
    expect(await run(['routes', 'check', shadowing], warned.io)).toBe(0);
    expect(warned.err[0]).toBe(
      `warning: shadowing.yaml:8 groups[1].prefix: the gateway/* routes are built in, so this group is ignored (remove it, or set "gateway: false" to serve your own)`,
    );
    const listed = io({});
    expect(await run(['routes', 'list', '--file', good], listed.io)).toBe(0);
    expect(listed.out.join('\n')).toContain('inventory-service GET /items');
  });

  it('reads the first line of standard input', async () => {
    const stream = new PassThrough();
    const line = readStdinLine(stream);
    stream.write('token-value\nrest');
    await expect(line).resolves.toBe('token-value');
  });
});
