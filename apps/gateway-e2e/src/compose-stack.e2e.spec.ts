import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceRequester, MqttRequester } from '@mqgw/testing';
import { ComposeProject, runCommand } from './support/compose';
import { WORKSPACE, waitFor } from './support/processes';
import { ShellSession, readmeCommands } from './support/readme';
import { parsePrometheus, total } from './support/prometheus';

/**
 * `docker compose up` for real, on the Docker engine: builds the one image, starts the whole
 * stack from nothing (no .env), and talks to it as a client on the published port. The
 * project, its volumes and its image are removed afterwards, whatever happened.
 */
describe('docker compose stack on a real engine', () => {
  let project: ComposeProject;
  let credentials: Record<string, string>;
  let shell: ShellSession | undefined;
  const readme = readFileSync(join(WORKSPACE, 'README.md'), 'utf8');
  // The stack starts as the README's dashboard command starts it: with its -f files.
  const portsLine = readmeCommands(readme, 'compose-ports').flat()[0];
  const files = [...portsLine.matchAll(/-f (\S+)/g)].map((m) => m[1]);
  const requesters: MqttRequester[] = [];

  const connect = async () => {
    const requester = await MqttRequester.connect(project.mqttUrl, {
      username: credentials['MQTT_USERNAME'],
      password: credentials['MQTT_PASSWORD'],
    });
    requesters.push(requester);
    return requester;
  };
  const auth = () => ({ authorization: `Bearer ${credentials['MQGW_TOKEN']}` });
  /** Prometheus text of each gateway replica, read inside its container. */
  const replicaMetrics = async () => {
    const ids = await project.containers('gateway');
    return Promise.all(
      ids.map(async (id) => {
        const scrape = await runCommand('docker', [
          'exec',
          id,
          'node',
          '-e',
          "fetch('http://127.0.0.1:3000/metrics').then(r=>r.text()).then(t=>process.stdout.write(t))",
        ]);
        return scrape.code === 0 ? parsePrometheus(scrape.stdout) : undefined;
      }),
    );
  };

  beforeAll(async () => {
    expect(files).toEqual(['docker-compose.yml', 'docker-compose.ports.yml']);
    project = await ComposeProject.create('compose-e2e', files);
    const up = await project.compose(
      ['up', '--detach', '--build', '--wait', '--wait-timeout', '240'],
      600_000,
    );
    if (up.code !== 0) {
      const logs = await project.compose(['logs', '--no-color', '--tail', '40']);
      throw new Error(`docker compose up failed (${up.code}):\n${up.stderr}\n${logs.stdout}`);
    }
    const creds = await project.compose(
      ['run', '--rm', '--no-deps', 'cli', 'credentials'],
      120_000,
    );
    expect(creds.code).toBe(0);
    credentials = Object.fromEntries(
      creds.stdout
        .split('\n')
        .filter((line) => line.includes('='))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    expect(Object.keys(credentials).sort()).toEqual([
      'MQGW_TOKEN',
      'MQTT_PASSWORD',
      'MQTT_URL',
      'MQTT_USERNAME',
    ]);
    // The broker as the host reaches it, on the published port.
    expect(credentials['MQTT_URL']).toBe(project.mqttUrl);
  }, 900_000);

  afterAll(async () => {
    shell?.close();
    rmSync(join(WORKSPACE, 'client.env'), { force: true });
    await Promise.allSettled(requesters.map((r) => r.close()));
    await project?.destroy();
  }, 120_000);

  it('brings every container to healthy, none as root and none with a capability', async () => {
    const ps = await project.compose([
      'ps',
      '--all',
      '--format',
      '{{.Service}} {{.State}} {{.Health}}',
    ]);
    const states = ps.stdout.trim().split('\n').sort();
    expect(states).toEqual([
      'broker-provision exited ',
      'gateway running healthy',
      'gateway running healthy',
      'mosquitto running healthy',
      'notification-service running healthy',
      'order-service running healthy',
      'payment-service running healthy',
      'redis running healthy',
      'setup exited ',
      'user-service running healthy',
    ]);
    const ids = (await project.compose(['ps', '-q'])).stdout.trim().split('\n');
    for (const id of ids) {
      const status = await runCommand('docker', ['exec', id, 'cat', '/proc/1/status']);
      const uid = /^Uid:\s+(\d+)/m.exec(status.stdout)?.[1];
      const caps = /^CapEff:\s+(\w+)/m.exec(status.stdout)?.[1];
      expect([id.slice(0, 12), uid !== '0', caps]).toEqual([
        id.slice(0, 12),
        true,
        '0000000000000000',
      ]);
    }
  });

  it('shows each replica’s dashboard and /metrics on the host’s loopback, with the ports override', async () => {
    for (const port of project.ports.gateways) {
      const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect([port, metrics.status]).toEqual([port, 200]);
      expect(await metrics.text()).toMatch(/^# HELP mqgw_/m);
      const dashboard = await fetch(`http://127.0.0.1:${port}/dashboard`);
      expect([port, dashboard.status]).toEqual([port, 200]);
    }
  });

  it('walks the README’s compose lines from the host, each within its time limit', async () => {
    shell = ShellSession.start('compose-walkthrough', WORKSPACE, {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? tmpdir(),
      ...project.env,
      // Plain `docker compose` lines then act on this project, with the same files.
      COMPOSE_FILE: files.join(':'),
    });
    const lines = readmeCommands(readme, 'compose-walkthrough').flat();
    expect(lines.some((line) => line.startsWith('mosquitto_rr'))).toBe(true);
    for (const line of lines) {
      const result = await shell.run(line, line.includes(' up ') ? 300_000 : 60_000);
      const failed = result.code !== 0 || /"status":\s*"error"/.test(result.output);
      expect([line, failed ? result.output : 'ok']).toEqual([line, 'ok']);
    }
  }, 600_000);

  it('answers every route group through both gateway replicas', async () => {
    const client = await connect();
    const user = await client.request(
      'api/v1/users/create',
      { name: 'Ada', email: 'ada@example.com' },
      { headers: auth(), qos: 2 },
    );
    expect(user.body).toMatchObject({ status: 'success', service: 'user-service' });
    expect(user.body['data']).toMatchObject({ user_id: credentials['MQTT_USERNAME'] });
    const order = await client.request(
      'api/v1/orders/create',
      { items: [{ sku: 'sku-1', quantity: 1 }] },
      { headers: auth() },
    );
    expect(order.body).toMatchObject({ status: 'success', service: 'order-service' });
    const orderData = order.body['data'] as { order_id: string; total: number };
    const payment = await client.request(
      'api/v1/payments/process',
      { order_id: orderData.order_id, amount: orderData.total },
      { headers: { ...auth(), 'idempotency-key': 'compose-e2e-1' } },
    );
    expect(payment.body).toMatchObject({ status: 'success', service: 'payment-service' });
    const template = await client.request(
      'api/v1/notifications/templates/welcome',
      {},
      { headers: auth() },
    );
    expect(template.body).toMatchObject({ status: 'success', service: 'notification-service' });
    const v2 = await client.request('api/v2/users/search', { query: 'ada' }, { headers: auth() });
    expect(v2.body).toMatchObject({
      status: 'success',
      data: { api_version: 'v2', action: 'search' },
    });
    // The same login as a device over MQTT 3.1.1: no token, the broker's login is the caller.
    const device = await DeviceRequester.connect(project.mqttUrl, {
      prefix: 'things',
      username: credentials['MQTT_USERNAME'],
      password: credentials['MQTT_PASSWORD'],
    });
    const asDevice = await device
      .request(`api/v1/users/get/${credentials['MQTT_USERNAME']}`)
      .finally(() => device.close());
    expect(asDevice.response).toMatchObject({
      status: 'success',
      data: { user_id: credentials['MQTT_USERNAME'], name: 'Ada' },
    });
    const cliDevice = await project.compose(
      ['run', '--rm', '--no-deps', 'cli', 'request', 'api/v1/users/list', '--device'],
      120_000,
    );
    expect([cliDevice.code, cliDevice.stderr]).toEqual([0, expect.stringContaining('success')]);
    // Replies are bound to the caller here: gateway/* requests are signed, since an
    // anonymous one gets no answer in a user's reply space.
    const health = await client.request('gateway/health', {}, { headers: auth() });
    expect(health.body).toMatchObject({ status: 'healthy', redis: 'healthy' });
    const services = await client.request('gateway/services', {}, { headers: auth() });
    expect(services.body['count']).toBeGreaterThanOrEqual(6);
    // Unsigned, into a reply space bound to a user: the gateway cannot tell the caller owns
    // it, so it answers nothing there and counts the drop.
    const drops = async () =>
      (await replicaMetrics()).reduce(
        (sum, m) =>
          sum + (m?.get('mqgw_dropped_requests_total{reason="unauthenticated_reply"}') ?? 0),
        0,
      );
    const dropsBefore = await drops();
    await client.publish('api/v1/users/list', {});
    await waitFor('the unsigned request to be dropped', async () => (await drops()) > dropsBefore);

    const replies = await Promise.all(
      Array.from({ length: 40 }, () =>
        client.request('api/v1/users/list', {}, { headers: auth() }),
      ),
    );
    expect(replies.every((r) => r.body['status'] === 'success')).toBe(true);
    // Both replicas took a share, by their own counters.
    const perReplica = (await replicaMetrics()).map((m) => total(m!, 'mqgw_requests_total'));
    expect(perReplica).toHaveLength(2);
    expect(perReplica.every((served) => served > 0)).toBe(true);
  });

  it('sends a command over HTTP to a simulated device inside the stack', async () => {
    const device = credentials['MQTT_USERNAME'];
    // The device runs in the stack as the first client's login; the caller is another
    // container on the internal network, where the gateways' HTTP side listens.
    const simulator = await project.compose(
      [
        'run',
        '-d',
        '--no-deps',
        '--name',
        `${project.name}-device`,
        'cli',
        'devices',
        'simulate',
        device,
      ],
      120_000,
    );
    expect(simulator.code).toBe(0);
    try {
      const minted = await project.compose(
        ['run', '--rm', '--no-deps', 'cli', 'token', '--sub', 'ops', '--scope', 'devices:command'],
        120_000,
      );
      expect(minted.code).toBe(0);
      let sent: Awaited<ReturnType<typeof project.compose>> | undefined;
      for (let attempt = 0; attempt < 20 && sent?.code !== 0; attempt++) {
        // 409 until the simulated device's status has reached the gateways.
        sent = await project.compose(
          [
            'run',
            '--rm',
            '--no-deps',
            '-e',
            `MQGW_TOKEN=${minted.stdout.trim()}`,
            '-e',
            'GATEWAY_URL=http://gateway:3000',
            'cli',
            'devices',
            'command',
            device,
            'reboot',
            '--data',
            '{"delay_s":1}',
          ],
          120_000,
        );
      }
      expect([sent?.code, sent?.stderr]).toEqual([0, expect.stringContaining('HTTP 200')]);
      expect(JSON.parse(sent!.stdout)).toMatchObject({
        status: 'success',
        data: { device, command: 'reboot', received: { delay_s: 1 } },
      });
    } finally {
      await runCommand('docker', ['rm', '-f', `${project.name}-device`]);
    }
  });

  describe('one client against another', () => {
    let bob: { password: string; token: string };
    const bobLogin = (clientId?: string) =>
      MqttRequester.connect(project.mqttUrl, {
        username: 'bob',
        password: bob.password,
        ...(clientId ? { clientId } : {}),
      });
    /** Reason codes of a SUBACK: 0-2 granted, 0x80 and up refused. */
    const subscribeCodes = async (requester: MqttRequester, filters: string[]) => {
      // mqtt.js rejects when any filter is refused; the SUBACK is on the error.
      const suback = await requester.client.subscribeAsync(filters, { qos: 1 }).then(
        (granted) => ({ granted: granted.map((g) => g.qos) }),
        (error: { packet?: { granted?: number[] } }) => ({ granted: error.packet?.granted }),
      );
      return suback.granted;
    };

    beforeAll(async () => {
      const added = await project.compose(
        ['run', '--rm', '--no-deps', 'cli', 'clients', 'add', 'bob'],
        120_000,
      );
      expect(added.code).toBe(0);
      const minted = await project.compose(
        ['run', '--rm', '--no-deps', 'cli', 'token', '--sub', 'bob'],
        120_000,
      );
      expect(minted.code).toBe(0);
      bob = { password: added.stdout.trim(), token: minted.stdout.trim() };
    }, 300_000);

    it('lists the clients with the CLI', async () => {
      const list = await project.compose(['run', '--rm', '--no-deps', 'cli', 'clients', 'list']);
      expect(list.code).toBe(0);
      const names = list.stdout.split('\n').map((line) => line.split(/\s+/)[0]);
      expect(names).toEqual(expect.arrayContaining([credentials['MQTT_USERNAME'], 'bob']));
    });

    it("refuses a second client the first one's replies, requests, the gateway group and $SYS", async () => {
      const intruder = await bobLogin();
      requesters.push(intruder);
      expect(
        await subscribeCodes(intruder, [
          `replies/${credentials['MQTT_USERNAME']}/#`,
          '#',
          'api/#',
          '$share/gateway/api/#',
          '$share/gateway/gateway/#',
          '$SYS/#',
          'replies/bob/#',
        ]),
      ).toEqual([0x87, 0x87, 0x87, 0x87, 0x87, 0x87, 1]);
      // Nothing was taken from the gateways' group: every request is answered.
      const client = await connect();
      const replies = await Promise.all(
        Array.from({ length: 20 }, () =>
          client.request('api/v1/users/list', {}, { headers: auth(), timeoutMs: 5000 }),
        ),
      );
      expect(replies.map((r) => r.body['status'])).toEqual(Array(20).fill('success'));
    });

    it("does not give the first client's replies to a second client that steals its client id", async () => {
      const victim = await connect();
      const thief = await bobLogin(victim.clientId);
      requesters.push(thief);
      const stolen: string[] = [];
      thief.client.on('message', (topic) => stolen.push(topic));
      // The broker refuses the victim's reply space to the thief whatever id it claims.
      expect(await subscribeCodes(thief, [`${victim.replyPrefix}/#`])).toEqual([0x87]);
      const again = await connect();
      const mine = await again.request('api/v1/users/list', {}, { headers: auth() });
      expect(mine.body['status']).toBe('success');
      // The thief's own request is answered after the victim's: nothing reached it meanwhile.
      const own = await thief.request(
        'gateway/health',
        {},
        { headers: { authorization: `Bearer ${bob.token}` } },
      );
      expect(own.body['status']).toBe('healthy');
      expect(stolen.filter((topic) => !topic.startsWith('replies/bob/'))).toEqual([]);
    });

    it("refuses to publish into another client's reply space, directly or through the gateway", async () => {
      const victim = await connect();
      const forged: string[] = [];
      victim.client.on('message', (topic, payload) => {
        if (topic.endsWith('/forged')) forged.push(payload.toString());
      });
      const attacker = await bobLogin();
      requesters.push(attacker);
      // Directly: clients may publish only requests.
      await attacker.client
        .publishAsync(`${victim.replyPrefix}/forged`, '{"status":"success"}', { qos: 1 })
        .catch(() => undefined);
      // Through the gateway: bob's request asks for its reply in the victim's space.
      await attacker
        .request(
          'api/v1/users/list',
          {},
          {
            headers: { authorization: `Bearer ${bob.token}` },
            responseTopic: `${victim.replyPrefix}/forged`,
            timeoutMs: 1000,
          },
        )
        .catch(() => undefined);
      // A barrier: the victim's own request, answered after both attempts.
      const mine = await victim.request('api/v1/users/list', {}, { headers: auth() });
      expect(mine.body['status']).toBe('success');
      expect(forged).toEqual([]);
    });

    it("keeps one user out of another user's data in the services", async () => {
      const attacker = await bobLogin();
      requesters.push(attacker);
      const bobAuth = { authorization: `Bearer ${bob.token}` };
      const other = credentials['MQTT_USERNAME'];
      const read = await attacker.request(`api/v1/users/get/${other}`, {}, { headers: bobAuth });
      // Someone else's profile is as absent as a missing one.
      expect(read.body).toMatchObject({ status: 'error', status_code: 404 });
      const promote = await attacker.request(
        'api/v1/users/create',
        { name: 'Bob', email: 'bob@example.com', role: 'admin' },
        { headers: bobAuth },
      );
      expect(promote.body).toMatchObject({ status: 'error', error: { code: 'FORBIDDEN' } });
      const list = await attacker.request('api/v1/users/list', {}, { headers: bobAuth });
      const users = (list.body['data'] as { users: { user_id: string }[] }).users;
      expect(users.every((u) => u.user_id === 'bob')).toBe(true);
    });
  });

  it('gives each service a Redis user limited to its own keys', async () => {
    const [userService] = await project.containers('user-service');
    const [redis] = await project.containers('redis');
    const password = await runCommand('docker', [
      'exec',
      userService,
      'cat',
      '/var/lib/mqgw/secrets/redis_password',
    ]);
    expect(password.code).toBe(0);
    const asUserService = (...command: string[]) =>
      runCommand('docker', [
        'exec',
        '-e',
        `REDISCLI_AUTH=${password.stdout.trim()}`,
        redis,
        'redis-cli',
        '--no-auth-warning',
        '--user',
        'user-service',
        ...command,
      ]);
    // What its registry client does: read and write its own entries.
    const own = await asUserService(
      'ZRANGEBYSCORE',
      'services:{user-service}:instances',
      '0',
      '+inf',
    );
    expect(own.stdout.trim()).not.toMatch(/NOPERM|^$/);
    for (const command of [
      ['HSET', 'services:{order-service}:data', 'fake', '{}'],
      ['ZREM', 'services:{order-service}:instances', 'any'],
      ['SREM', 'services:all', 'order-service'],
      ['PUBLISH', 'services:changed', 'order-service'],
      ['PUBLISH', 'services:{order-service}:changed', 'order-service'],
      ['SET', 'apikey:forged', '{}'],
      ['SCAN', '0'],
      ['KEYS', '*'],
      ['SCRIPT', 'FLUSH'],
      ['FUNCTION', 'FLUSH'],
      ['FLUSHALL'],
      ['CONFIG', 'GET', '*'],
    ]) {
      const result = await asUserService(...command);
      expect([command[0], result.stdout]).toEqual([command[0], expect.stringMatching(/NOPERM/)]);
    }
    const anonymous = await runCommand('docker', ['exec', redis, 'redis-cli', 'PING']);
    expect(anonymous.stdout).toMatch(/NOAUTH|WRONGPASS|NOPERM/);
  });

  it('keeps answering when one gateway container is killed', async () => {
    const [first] = await project.containers('gateway');
    expect((await runCommand('docker', ['kill', first])).code).toBe(0);
    await waitFor(
      'the killed replica to stop',
      async () => {
        const inspect = await runCommand('docker', [
          'inspect',
          '--format',
          '{{.State.Running}}',
          first,
        ]);
        return inspect.stdout.trim() === 'false';
      },
      30_000,
    );
    const client = await connect();
    const replies = await Promise.all(
      Array.from({ length: 30 }, () =>
        client.request('api/v1/users/list', {}, { headers: auth(), timeoutMs: 5000 }),
      ),
    );
    expect(replies.map((r) => r.body['status'])).toEqual(Array(30).fill('success'));
    // Bring it back for the next test.
    expect((await runCommand('docker', ['start', first])).code).toBe(0);
  }, 120_000);

  it('answers again after the broker container restarts', async () => {
    const restart = await project.compose(['restart', 'mosquitto'], 120_000);
    expect(restart.code).toBe(0);
    // Clients reconnect; the gateways do so on their own.
    let client: MqttRequester | undefined;
    await waitFor(
      'a reply after the broker restart',
      async () => {
        client ??= await connect();
        const reply = await client
          .request('gateway/health', {}, { headers: auth(), timeoutMs: 1000 })
          .catch(async (error) => {
            await client?.close().catch(() => undefined);
            client = undefined;
            throw error;
          });
        return reply.body['status'] === 'healthy';
      },
      60_000,
    );
    const replies = await Promise.all(
      Array.from({ length: 20 }, () =>
        client!.request('api/v1/users/list', {}, { headers: auth(), timeoutMs: 5000 }),
      ),
    );
    expect(replies.map((r) => r.body['status'])).toEqual(Array(20).fill('success'));
    // The dynamic security state survived the restart: the client still logs in, others do not.
    await expect(
      MqttRequester.connect(project.mqttUrl, {
        username: credentials['MQTT_USERNAME'],
        password: 'wrong',
      }),
    ).rejects.toThrow(/Not authorized|Bad User Name/);
  }, 180_000);
  it('rotates the internal passwords as docs/security.md says, and keeps serving', async () => {
    const redisPassword = async () => {
      const [userService] = await project.containers('user-service');
      const read = await runCommand('docker', [
        'exec',
        userService,
        'cat',
        '/var/lib/mqgw/secrets/redis_password',
      ]);
      expect(read.code).toBe(0);
      return read.stdout;
    };
    const before = await redisPassword();
    const rotate = await project.compose(
      ['run', '--rm', 'setup', 'cli', 'setup', '--rotate', 'gateway,redis'],
      120_000,
    );
    expect([rotate.code, rotate.stderr]).toEqual([0, expect.stringContaining('created secrets')]);
    const up = await project.compose(
      ['up', '--detach', '--force-recreate', '--wait', '--wait-timeout', '240'],
      600_000,
    );
    expect([up.code, up.stderr]).toEqual([0, expect.any(String)]);
    expect(await redisPassword()).not.toBe(before);
    let client: MqttRequester | undefined;
    await waitFor(
      'a reply after the rotation',
      async () => {
        client ??= await connect();
        const reply = await client
          .request('api/v1/users/list', {}, { headers: auth(), timeoutMs: 1000 })
          .catch(async (error) => {
            await client?.close().catch(() => undefined);
            client = undefined;
            throw error;
          });
        return reply.body['status'] === 'success';
      },
      60_000,
    );
  }, 600_000);
});
