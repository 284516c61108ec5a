import { MqttRequester } from '@mqgw/testing';
import { ComposeProject, runCommand } from './support/compose';
import { waitFor } from './support/processes';
import { parsePrometheus, total } from './support/prometheus';

/**
 * `docker compose up` for real, on the Docker engine: builds the one image, starts the whole
 * stack from nothing (no .env), and talks to it as a client on the published port. The
 * project, its volumes and its image are removed afterwards, whatever happened.
 */
describe('docker compose stack on a real engine', () => {
  let project: ComposeProject;
  let credentials: Record<string, string>;
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
    project = await ComposeProject.create('compose-e2e');
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
      'MQTT_USERNAME',
    ]);
  }, 900_000);

  afterAll(async () => {
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

  it('answers every route group through both gateway replicas', async () => {
    const client = await connect();
    const user = await client.request(
      'api/v1/users/create',
      { name: 'Ada', email: 'ada@example.com' },
      { headers: auth(), qos: 2 },
    );
    expect(user.body).toMatchObject({ status: 'success', service: 'user-service' });
    const userId = (user.body['data'] as { user_id: string }).user_id;
    const order = await client.request(
      'api/v1/orders/create',
      { user_id: userId, items: [{ sku: 'sku-1', quantity: 1, price: 2.5 }] },
      { headers: auth() },
    );
    expect(order.body).toMatchObject({ status: 'success', service: 'order-service' });
    const payment = await client.request(
      'api/v1/payments/process',
      {
        order_id: (order.body['data'] as { order_id: string }).order_id,
        amount: 2.5,
        currency: 'EUR',
      },
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
    const health = await client.request('gateway/health');
    expect(health.body).toMatchObject({ status: 'healthy', redis: 'healthy' });
    const services = await client.request('gateway/services');
    expect(services.body['count']).toBeGreaterThanOrEqual(6);
    const unauthenticated = await client.request('api/v1/users/list');
    expect(unauthenticated.body).toMatchObject({
      status: 'error',
      error: { code: 'UNAUTHORIZED' },
    });

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
  });

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
          .request('gateway/health', {}, { timeoutMs: 1000 })
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
  });
});
