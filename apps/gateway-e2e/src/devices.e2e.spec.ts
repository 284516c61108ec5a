import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { passwordFileLine } from '@mqgw/mosquitto';
import { DeviceRequester, MqttRequester } from '@mqgw/testing';
import { runCli } from './support/cli';
import { LOG_DIR, WORKSPACE, waitFor } from './support/processes';
import { scrape } from './support/prometheus';
import { Stack } from './support/stack';
import { TestUpstream, echo } from './support/test-upstream';

type Data = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const DEVICES = ['sensor-7', 'sensor-8', 'sensor-9', 'sensor-10', 'sensor-11'] as const;
const password = (name: string) => `pw-${name}-0123456789`;

/*
 * Devices without tokens, on a real Mosquitto that enforces the namespace with the
 * project's own config/mosquitto/devices.acl (`pattern write things/%u/api/#`, …) and a
 * password file: the gateway takes the username level as the caller because the broker
 * lets no one else publish there.
 */
describe('devices without tokens on a broker that enforces the namespace', () => {
  let stack: Stack;
  let upstream: TestUpstream;
  const clients: { endAsync(force?: boolean): Promise<void> }[] = [];

  const device311 = async (name: string): Promise<MqttClient> => {
    const client = await mqtt.connectAsync(stack.mqttUrl, {
      protocolVersion: 4,
      username: name,
      password: password(name),
      reconnectPeriod: 0,
    });
    clients.push(client);
    return client;
  };
  const device = async (name: string) => {
    const requester = await DeviceRequester.connect(stack.mqttUrl, {
      prefix: 'things',
      username: name,
      password: password(name),
    });
    clients.push({ endAsync: () => requester.close() });
    return requester;
  };
  const drops = async (reason: string) =>
    (await scrape(stack.gateways[0].httpUrl)).get(
      `mqgw_dropped_requests_total{reason="${reason}"}`,
    ) ?? 0;

  beforeAll(async () => {
    const passwordFile = join(LOG_DIR, 'devices-passwd');
    writeFileSync(
      passwordFile,
      ['gateway', ...DEVICES].map((name) => passwordFileLine(name, password(name))).join('\n') +
        '\n',
      { mode: 0o644 },
    );
    upstream = await TestUpstream.start(echo);
    stack = await Stack.start({
      name: 'devices',
      noServices: true,
      broker: {
        files: { passwordFile, aclFile: join(WORKSPACE, 'config/mosquitto/devices.acl') },
      },
      gatewayEnv: {
        MQTT_USERNAME: 'gateway',
        MQTT_PASSWORD: password('gateway'),
        DEVICE_TOPIC_PREFIX: 'things',
        DEVICE_CACHE_TTL_SECONDS: '0',
        SERVICES: `user-service=${upstream.url}`,
        RATE_LIMIT_MAX: '3',
      },
    });
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.endAsync(true)));
    await stack?.stop();
    await upstream?.stop();
  });

  it('answers a 3.1.1 device that sends {"id":"a1","data":{}}, on its own reply topic, as that device', async () => {
    const sensor = await device311('sensor-7');
    await sensor.subscribeAsync('things/sensor-7/replies/#', { qos: 1 });
    const reply = new Promise<{ topic: string; body: Data }>((resolve) =>
      sensor.once('message', (topic, payload) =>
        resolve({ topic, body: JSON.parse(payload.toString()) }),
      ),
    );
    await sensor.publishAsync(
      'things/sensor-7/api/v1/users/list',
      JSON.stringify({ id: 'a1', data: {} }),
      { qos: 1 },
    );
    const { topic, body } = await reply;
    expect(topic).toBe('things/sensor-7/replies/api/v1/users/list');
    expect(body).toMatchObject({
      id: 'a1',
      response: { status: 'success', service: 'user-service', data: { url: '/users' } },
    });
    expect(upstream.requests.at(-1)!.headers).toMatchObject({
      'x-user-id': 'sensor-7',
      'x-gateway-auth': 'broker',
    });
    expect(upstream.requests.at(-1)!.headers['x-user-scopes']).toBeUndefined();
  });

  it('answers an MQTT 5 device on its own responseTopic, and drops one outside its reply space', async () => {
    const sensor = await MqttRequester.connect(stack.mqttUrl, {
      username: 'sensor-8',
      password: password('sensor-8'),
      replyPrefix: 'things/sensor-8/replies/rpc',
    });
    clients.push({ endAsync: () => sensor.close() });
    const reply = await sensor.request<Data>('things/sensor-8/api/v1/users/get/42');
    expect(reply.topic.startsWith('things/sensor-8/replies/rpc/')).toBe(true);
    expect(reply.body).toMatchObject({ status: 'success', data: { url: '/users/42' } });
    expect(upstream.requests.at(-1)!.headers['x-user-id']).toBe('sensor-8');

    const before = await drops('unsafe_response_topic');
    await sensor
      .request(
        'things/sensor-8/api/v1/users/list',
        {},
        {
          responseTopic: 'replies/sensor-8/elsewhere',
          timeoutMs: 300,
        },
      )
      .catch(() => undefined);
    await waitFor(
      'the drop to be counted',
      async () => (await drops('unsafe_response_topic')) > before,
    );
  });

  it("keeps one device out of another's namespace and replies", async () => {
    const victim = await device('sensor-7');
    const intruder = await device311('sensor-8');
    const stolen: string[] = [];
    intruder.on('message', (topic) => stolen.push(topic));
    // The acl_file lets the subscription through but delivers nothing on it.
    await intruder.subscribeAsync('things/sensor-7/replies/#', { qos: 1 });
    const before = upstream.requests.length;
    // The broker drops a publish under another's name (MQTT 3.1.1 cannot say so).
    await intruder.publishAsync(
      'things/sensor-7/api/v1/users/delete/sensor-7',
      JSON.stringify({ id: 'forged', data: {} }),
      { qos: 1 },
    );
    // A barrier: the victim's own request, answered after the forged one was routed.
    const own = await victim.request('api/v1/users/list');
    expect(own.response['status']).toBe('success');
    expect(upstream.requests.slice(before).map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /users',
    ]);
    expect(stolen).toEqual([]);
  });

  it('gives each device a rate-limit bucket of its own', async () => {
    const busy = await device('sensor-9');
    const quiet = await device('sensor-10');
    const codes = [];
    for (let i = 0; i < 4; i++) {
      const reply = await busy.request<Data>('api/v1/users/list');
      codes.push(reply.response['error']?.code ?? reply.response['status']);
    }
    expect(codes).toEqual(['success', 'success', 'success', 'RATE_LIMITED']);
    expect((await quiet.request('api/v1/users/list')).response['status']).toBe('success');
  });

  it('refuses what it can tell is forged: the gateway’s own login as a device, credentials, odd envelopes', async () => {
    // The gateway's login may publish under things/gateway/ (a pattern applies to every
    // user), but it is never a device.
    const gatewayLogin = await mqtt.connectAsync(stack.mqttUrl, {
      protocolVersion: 5,
      username: 'gateway',
      password: password('gateway'),
      reconnectPeriod: 0,
    });
    clients.push(gatewayLogin);
    const before = await drops('invalid_device');
    await gatewayLogin.publishAsync(
      'things/gateway/api/v1/users/list',
      JSON.stringify({ id: 'g1', data: {} }),
      { qos: 1 },
    );
    await waitFor('the drop to be counted', async () => (await drops('invalid_device')) > before);

    const sensor = await MqttRequester.connect(stack.mqttUrl, {
      username: 'sensor-11',
      password: password('sensor-11'),
      replyPrefix: 'things/sensor-11/replies/rpc',
    });
    clients.push({ endAsync: () => sensor.close() });
    const withToken = await sensor.request<Data>(
      'things/sensor-11/api/v1/users/list',
      {},
      { headers: { authorization: 'Bearer something' } },
    );
    expect(withToken.body).toMatchObject({ status: 'error', error: { code: 'BAD_REQUEST' } });

    const odd = await device311('sensor-11');
    await odd.subscribeAsync('things/sensor-11/replies/api/v1/users/list', { qos: 1 });
    const answer = new Promise<Data>((resolve) =>
      odd.once('message', (_t, payload) => resolve(JSON.parse(payload.toString()))),
    );
    await odd.publishAsync(
      'things/sensor-11/api/v1/users/list',
      JSON.stringify({ id: 'o1', data: {}, user: 'admin' }),
      { qos: 1 },
    );
    expect(await answer).toMatchObject({
      id: 'o1',
      response: { status: 'error', error: { code: 'BAD_REQUEST' } },
    });
  });

  it('takes device scopes from the CLI, and the CLI speaks as a 3.1.1 device', async () => {
    const env = {
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: stack.prefix,
      MQTT_URL: stack.mqttUrl,
      DEVICE_TOPIC_PREFIX: 'things',
    };
    const sensor = await device('sensor-11');
    const refused = await sensor.request<Data>('api/v1/users/delete/old');
    expect(refused.response).toMatchObject({ status: 'error', error: { code: 'FORBIDDEN' } });
    expect((await runCli(['devices', 'set', 'sensor-11', '--scope', 'admin'], env)).code).toBe(0);
    expect((await runCli(['devices', 'list'], env)).stdout).toMatch(/^sensor-11 .* admin$/m);
    const allowed = await sensor.request<Data>('api/v1/users/delete/old');
    expect(allowed.response['status']).toBe('success');
    expect(upstream.requests.at(-1)!.headers['x-user-scopes']).toBe('admin');
    expect((await runCli(['devices', 'remove', 'sensor-11'], env)).code).toBe(0);

    const cli = await runCli(['request', 'api/v1/users/get/me', '--device'], {
      ...env,
      MQTT_USERNAME: 'sensor-10',
      MQTT_PASSWORD: password('sensor-10'),
    });
    expect([cli.code, cli.stderr]).toEqual([0, expect.stringContaining('success')]);
    expect(JSON.parse(cli.stdout)).toMatchObject({ status: 'success', data: { url: '/users/me' } });
  });
});
