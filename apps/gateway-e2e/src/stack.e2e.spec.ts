import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintDevToken } from '@mqgw/auth/testing';
import { portFree } from '@mqgw/mosquitto';
import { connectRequester, openTestRedis, type TestRedis } from '@mqgw/testing';
import { TestBroker } from './support/broker';
import { runCli } from './support/cli';
import {
  WORKSPACE,
  freePort,
  spawnLogged,
  waitFor,
  type ManagedProcess,
} from './support/processes';
import { ShellSession } from './support/readme';
import { TEST_JWT_SECRET, startStackScript } from './support/stack';

type Data = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function basePortWithSibling(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + 100 < 65536 && (await portFree(port + 100))) return port;
  }
}

/** `npm run stack` with a broker and Redis: two gateway replicas behind a shared subscription. */
describe('npm run stack: two gateways sharing the load', () => {
  let broker: TestBroker;
  let redis: TestRedis;
  let stack: ManagedProcess;
  let httpPort: number;
  let cliEnv: Record<string, string>;

  beforeAll(async () => {
    broker = await TestBroker.start('stack-broker');
    redis = await openTestRedis('stack');
    httpPort = await basePortWithSibling();
    stack = await startStackScript(
      'stack',
      httpPort,
      {
        MQTT_URL: broker.url,
        REDIS_URL: 'redis://127.0.0.1:6379',
        REDIS_KEY_PREFIX: redis.prefix,
        MQTT_CLIENT_ID: `${redis.prefix}stack`.replace(/[^\w.:-]/g, '-').slice(0, 50),
        MQTT_SESSION_EXPIRY_SECONDS: '0',
        JWT_SECRET: TEST_JWT_SECRET,
      },
      2,
    );
    cliEnv = { MQTT_URL: broker.url, JWT_SECRET: TEST_JWT_SECRET };
  });
  afterAll(async () => {
    await stack?.stop('SIGTERM', 20_000);
    await broker?.stop();
    await redis?.close();
  });

  it('answers every request exactly once, and both replicas take part', async () => {
    const client = await connectRequester(broker.url);
    const token = `Bearer ${await mintDevToken({ secret: TEST_JWT_SECRET, sub: 'stack-user' })}`;
    try {
      const replies = await Promise.all(
        Array.from({ length: 100 }, () =>
          client.request<Data>('api/v1/users/list', {}, { headers: { authorization: token } }),
        ),
      );
      expect(replies.every((r) => r.body['status'] === 'success')).toBe(true);
      expect(client.received.filter((r) => r.topic.startsWith(client.replyPrefix))).toHaveLength(
        100,
      );
    } finally {
      await client.close();
    }
    for (const port of [httpPort, httpPort + 100]) {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const served =
        /^mqgw_requests_total\{route="api\/v1\/users\/list",outcome="success"\} (\d+)$/m.exec(text);
      expect([port, Number(served?.[1] ?? 0) > 0]).toEqual([port, true]);
    }
  });

  it('is driven by the CLI: request, services and health, with exit codes', async () => {
    const token = (await runCli(['token', '--sub', 'cli-user'], cliEnv)).stdout.trim();
    const created = await runCli(
      ['request', 'api/v1/users/create', '--data', '{"name":"C","email":"c@x.io"}', '--qos', '2'],
      { ...cliEnv, MQGW_TOKEN: token },
    );
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({
      status: 'success',
      service: 'user-service',
    });
    expect(created.stderr).toMatch(/^api\/v1\/users\/create: success in [\d.]+ ms\n$/);
    // From standard input, as a script piping a secret would.
    const missing = await runCli(['request', 'api/v1/users/get/none', '--token-stdin'], cliEnv, {
      stdin: `${token}\n`,
    });
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout).error.code).toBe('NOT_FOUND');
    const services = await runCli(['services'], cliEnv);
    expect(JSON.parse(services.stdout).count).toBeGreaterThanOrEqual(6);
    const health = await runCli(['health'], cliEnv);
    expect(JSON.parse(health.stdout)).toMatchObject({ status: 'healthy', redis: 'healthy' });
    const timeout = await runCli(['request', 'nobody/listens', '--timeout', '300'], cliEnv);
    expect(timeout).toMatchObject({
      code: 2,
      // Sent again twice with its idempotency key: the CLI's --retries defaults to 2.
      stderr: `error: no reply on nobody/listens within 300 ms (3 attempts), asking ${broker.url} (MQTT_URL): is a gateway connected to that broker?\n`,
    });
  });
});

const SERVICE_PORT_VARIABLES = [
  'USER_SERVICE_PORT',
  'ORDER_SERVICE_PORT',
  'PAYMENT_SERVICE_PORT',
  'NOTIFICATION_SERVICE_PORT',
] as const;

/** `npm run stack` with nothing configured: the embedded broker, on free ports. */
async function startEmbeddedStack(name: string, env: Record<string, string> = {}) {
  const ports = { http: await freePort(), mqtt: await freePort() };
  const servicePorts = await Promise.all(SERVICE_PORT_VARIABLES.map(() => freePort()));
  const stateFile = join(tmpdir(), `mqgw-${name}-${process.pid}.json`);
  const stack = spawnLogged(
    name,
    process.execPath,
    [join(WORKSPACE, 'tools/scripts/stack.mjs')],
    {
      HTTP_PORT: String(ports.http),
      MQTT_PORT: String(ports.mqtt),
      ...Object.fromEntries(SERVICE_PORT_VARIABLES.map((v, i) => [v, String(servicePorts[i])])),
      LOG_LEVEL: 'warn',
      JWT_SECRET: TEST_JWT_SECRET,
      STACK_STATE_FILE: stateFile,
      ...env,
    },
    { detached: true },
  );
  // The log file is truncated when the stream opens: until this runner's first line is in
  // it, what is there is a previous run's.
  const log = () => {
    const text = existsSync(stack.logFile) ? readFileSync(stack.logFile, 'utf8') : '';
    return text.startsWith(`[stack] runner: pid ${stack.child.pid}\n`) ? text : '';
  };
  return { stack, ports, servicePorts, stateFile, log };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('npm run stack, embedded: pids, client lines, reloads and a hangup', () => {
  let started: Awaited<ReturnType<typeof startEmbeddedStack>>;
  let shell: ShellSession | undefined;
  const pids = () =>
    new Map(
      [...started.log().matchAll(/^\[stack\] ([\w-]+): pid (\d+)/gm)].map((m) => [
        m[1],
        Number(m[2]),
      ]),
    );

  beforeAll(async () => {
    started = await startEmbeddedStack('stack-embedded');
    await waitFor(
      'the stack to say it is ready',
      async () => started.log().includes('[stack] ready: MQTT_URL='),
      60_000,
      () => (started.stack.running ? undefined : `it exited; see ${started.stack.logFile}`),
    );
  });
  afterAll(async () => {
    shell?.close();
    await started?.stack.stop('SIGTERM', 20_000);
  });

  it('prints each pid and role, then the MQTT_URL and client lines that reach its broker', async () => {
    const seen = pids();
    expect([...seen.keys()].sort()).toEqual([
      'gateway-0',
      'notification-service',
      'order-service',
      'payment-service',
      'runner',
      'user-service',
    ]);
    expect([...seen.values()].every(alive)).toBe(true);
    const log = started.log();
    expect(log).toContain(`[stack] ready: MQTT_URL=mqtt://127.0.0.1:${started.ports.mqtt}\n`);
    const lines = log
      .slice(log.indexOf('[stack] clients, from another terminal:'))
      .split('\n')
      .slice(1)
      .filter((line) => line.startsWith('  '))
      .map((line) => line.trim());
    const rr = lines.find((line) => line.startsWith('mosquitto_rr'));
    expect(rr).toContain(`-h 127.0.0.1 -p ${started.ports.mqtt} -W 10 `);
    // Pasted into another terminal, as printed, each line works against this stack.
    shell = ShellSession.start('stack-embedded-client-lines', WORKSPACE, {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? tmpdir(),
      JWT_SECRET: TEST_JWT_SECRET,
    });
    for (const line of lines) {
      const result = await shell.run(line, 30_000);
      const failed = result.code !== 0 || /"status":\s*"error"/.test(result.output);
      expect([line, failed ? result.output : 'ok']).toEqual([line, 'ok']);
    }
  });

  it('reloads every gateway on cli routes reload (a SIGHUP to the runner), and runs on', async () => {
    const before = pids();
    const reload = await runCli(['routes', 'reload'], {
      STACK_STATE_FILE: started.stateFile,
      GATEWAY_URL: `http://127.0.0.1:${started.ports.http}`,
    });
    expect(reload).toMatchObject({
      code: 0,
      stdout: `gateway-0 (pid ${before.get('gateway-0')}): applied\n`,
    });
    expect(started.log()).toContain('[stack] SIGHUP: reloading the routes of gateway-0');
    expect(started.stack.running).toBe(true);
    expect([...before.values()].every(alive)).toBe(true);
  });

  it('stops every process it started, the embedded broker included, on a HUP to its process group', async () => {
    const before = pids();
    // What closing the terminal does: a hangup to the whole foreground process group.
    process.kill(-(started.stack.child.pid as number), 'SIGHUP');
    await waitFor('the runner to exit', async () => !started.stack.running, 30_000);
    await waitFor(
      'every process of the stack to be gone',
      async () => [...before.values()].every((pid) => !alive(pid)),
      10_000,
    );
    for (const port of [started.ports.mqtt, started.ports.http, ...started.servicePorts]) {
      expect([port, await portFree(port)]).toEqual([port, true]);
    }
    expect(existsSync(started.stateFile)).toBe(false);
  });
});

describe('npm run stack at a terminal', () => {
  it('has every part log readable lines, and JSON into a pipe', async () => {
    const piped = await startEmbeddedStack('stack-piped', { LOG_LEVEL: 'log' });
    const ports = { http: await freePort(), mqtt: await freePort() };
    const servicePorts = await Promise.all(SERVICE_PORT_VARIABLES.map(() => freePort()));
    const runner = `${process.execPath} ${join(WORKSPACE, 'tools/scripts/stack.mjs')}`;
    // `script` runs the runner on a terminal of its own, as a person at one would.
    const tty = spawnLogged(
      'stack-tty',
      'script',
      ['-qfec', runner, '/dev/null'],
      {
        CI: '',
        HTTP_PORT: String(ports.http),
        MQTT_PORT: String(ports.mqtt),
        ...Object.fromEntries(SERVICE_PORT_VARIABLES.map((v, i) => [v, String(servicePorts[i])])),
        JWT_SECRET: TEST_JWT_SECRET,
        STACK_STATE_FILE: join(tmpdir(), `mqgw-stack-tty-${process.pid}.json`),
      },
      { detached: true },
    );
    const text = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');
    // pino-pretty's line: the clock time in brackets, then the level; JSON's: an object.
    const pretty = (name: string) =>
      new RegExp(`^\\[${name}\\] \\[\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\] `, 'm');
    const json = (name: string) => new RegExp(`^\\[${name}\\] \\{"level":`, 'm');
    try {
      for (const name of ['gateway-0', 'user-service']) {
        await waitFor(
          `${name} at the terminal`,
          async () => pretty(name).test(text(tty.logFile)),
          45_000,
        );
        await waitFor(`${name} into the pipe`, async () => json(name).test(piped.log()), 45_000);
      }
      expect(text(tty.logFile)).not.toMatch(json('gateway-0'));
      expect(piped.log()).not.toMatch(pretty('gateway-0'));
    } finally {
      process.kill(-(tty.child.pid as number), 'SIGTERM');
      await tty.stop('SIGTERM', 20_000);
      await piped.stack.stop('SIGTERM', 20_000);
    }
  }, 180_000);
});

describe('npm run stack: a bad setting is one line naming it', () => {
  it('reports HTTP_PORT as it was written', async () => {
    const started = await startEmbeddedStack('stack-bad-http-port', { HTTP_PORT: 'eighty' });
    await waitFor('the stack to stop', async () => !started.stack.running, 60_000);
    expect(started.log()).toContain(
      'config error: Invalid HTTP_PORT: expected an integer from 0 to 65535, got "eighty"',
    );
  });

  it('names the variable of a service port already in use, with no stack trace', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      const started = await startEmbeddedStack('stack-taken-service-port', {
        NOTIFICATION_SERVICE_PORT: String(port),
      });
      await waitFor('the stack to stop', async () => !started.stack.running, 60_000);
      expect(started.log()).toContain(
        `[notification-service] config error: PORT ${port} is already in use on 127.0.0.1 (is another notification-service running?): choose another PORT (under npm start: NOTIFICATION_SERVICE_PORT)\n`,
      );
      expect(started.log()).not.toContain('EADDRINUSE');
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });
});
