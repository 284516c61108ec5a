import { request as httpRequest } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { passwordFileLine } from '@mqgw/mosquitto';
import { SimulatedDevice } from '@mqgw/testing';
import { LOG_DIR, WORKSPACE, waitFor } from './support/processes';
import { scrape } from './support/prometheus';
import { Stack, type GatewayHandle } from './support/stack';

type Data = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const DEVICES = ['sensor-7', 'sensor-8', 'sensor-9', 'sensor-10', 'sensor-11', 'intruder'];
const password = (name: string) => `pw-${name}-0123456789`;

/*
 * Commands to devices over HTTP, on a real Mosquitto that enforces the device namespace
 * with the project's config/mosquitto/devices.acl and a password file, two gateway replicas
 * in one shared group, and the shared Redis: the HTTP call may land on either replica and
 * the device's answer on the other.
 */
describe('commands to devices over HTTP', () => {
  let stack: Stack;
  let token: string;
  const devices: SimulatedDevice[] = [];
  const clients: MqttClient[] = [];

  const simulate = async (
    name: string,
    options: Partial<Parameters<typeof SimulatedDevice.connect>[1]> = {},
  ) => {
    const device = await SimulatedDevice.connect(stack.mqttUrl, {
      prefix: 'things',
      username: name,
      password: password(name),
      ...options,
    });
    devices.push(device);
    return device;
  };
  const post = async (
    gateway: GatewayHandle,
    path: string,
    body: unknown,
    headers: Record<string, string> = { authorization: token },
  ) => {
    const response = await fetch(`${gateway.httpUrl}${path}`, {
      method: 'POST',
      headers,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Data };
  };
  const get = async (gateway: GatewayHandle, path: string, auth = token) => {
    const response = await fetch(`${gateway.httpUrl}${path}`, { headers: { authorization: auth } });
    return { status: response.status, body: (await response.json()) as Data };
  };
  /** Waits until both replicas see `device` as `status`. */
  const presence = (device: string, status: string) =>
    waitFor(`${device} ${status} on every replica`, async () => {
      const views = await Promise.all(
        stack.gateways.map(async (g) => {
          const data = (await (await fetch(`${g.httpUrl}/dashboard/data`)).json()) as Data;
          return (data['commands']['devices'] as Data[]).find((d) => d['name'] === device);
        }),
      );
      return views.every((v) => v?.['status'] === status);
    });
  const metric = async (name: string) => {
    let sum = 0;
    for (const g of stack.gateways) sum += (await scrape(g.httpUrl)).get(name) ?? 0;
    return sum;
  };

  beforeAll(async () => {
    mkdirSync(LOG_DIR, { recursive: true });
    const passwordFile = join(LOG_DIR, 'commands-passwd');
    writeFileSync(
      passwordFile,
      ['gateway', ...DEVICES].map((name) => passwordFileLine(name, password(name))).join('\n') +
        '\n',
      { mode: 0o644 },
    );
    stack = await Stack.start({
      name: 'commands',
      noServices: true,
      gateways: 2,
      broker: {
        files: { passwordFile, aclFile: join(WORKSPACE, 'config/mosquitto/devices.acl') },
      },
      gatewayEnv: {
        MQTT_USERNAME: 'gateway',
        MQTT_PASSWORD: password('gateway'),
        DEVICE_TOPIC_PREFIX: 'things',
        SHARED_SUBSCRIPTION_GROUP: 'gateway',
        SERVICES: 'user-service=http://127.0.0.1:9',
        COMMAND_MAX_PENDING: '3',
        COMMAND_AUTH_FAILURE_LIMIT: '5',
      },
    });
    token = await stack.bearer('ops', ['devices:command']);
  }, 60_000);
  afterAll(async () => {
    await Promise.allSettled(devices.map((d) => d.close()));
    await Promise.allSettled(clients.map((c) => c.endAsync(true)));
    await stack?.stop();
  });

  it('gets the answer of an MQTT 5 device and of a 3.1.1 device, as the curl line does', async () => {
    const v5 = await simulate('sensor-7', { protocolVersion: 5 });
    const v311 = await simulate('sensor-8', { protocolVersion: 4 });
    await presence('sensor-7', 'online');
    await presence('sensor-8', 'online');
    for (const [device, name] of [
      [v5, 'sensor-7'],
      [v311, 'sensor-8'],
    ] as const) {
      const reply = await post(
        stack.gateways[0],
        `/devices/${name}/commands/reboot`,
        '{"delay_s":1}',
      );
      expect(reply).toMatchObject({
        status: 200,
        body: {
          status: 'success',
          data: { device: name, command: 'reboot', received: { delay_s: 1 } },
          command_id: expect.stringMatching(/^c[0-9a-f]{32}$/),
          request_id: expect.any(String),
          processing_time: expect.any(Number),
        },
      });
      expect(device.received.at(-1)).toMatchObject({
        topic: `things/${name}/commands/reboot`,
        data: { delay_s: 1 },
        id: reply.body['command_id'],
      });
    }
    const error = await post(stack.gateways[0], '/devices/sensor-8/commands/fw', {
      fail: 'E_BUSY',
    });
    expect(error).toMatchObject({
      status: 502,
      body: { error: { code: 'DEVICE_ERROR', details: { device_code: 'E_BUSY' } } },
    });
  });

  it('answers whichever replica takes the HTTP call and whichever receives the answer', async () => {
    await simulate('sensor-9', { protocolVersion: 5 });
    await simulate('sensor-10', { protocolVersion: 4 });
    await presence('sensor-9', 'online');
    await presence('sensor-10', 'online');
    const forwardedBefore = await metric('mqgw_command_answers_total{delivered="forwarded"}');
    const replies = [];
    for (let i = 0; i < 8; i++) {
      const gateway = stack.gateways[i % 2];
      const device = i % 4 < 2 ? 'sensor-9' : 'sensor-10';
      replies.push(await post(gateway, `/devices/${device}/commands/read`, { n: i }));
    }
    expect(replies.map((r) => [r.status, r.body['data']?.['received']?.['n']])).toEqual(
      Array.from({ length: 8 }, (_, i) => [200, i]),
    );
    // The broker shares the answers among the replicas: some reached the other one.
    expect(await metric('mqgw_command_answers_total{delivered="forwarded"}')).toBeGreaterThan(
      forwardedBefore,
    );
  });

  it('keeps a command from every other device, and drops an answer forged with its id', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const victim = await simulate('sensor-11', {
      protocolVersion: 4,
      handler: async (name) => {
        await gate;
        return { ok: true, data: { genuine: name } };
      },
    });
    const intruder = await mqtt.connectAsync(stack.mqttUrl, {
      protocolVersion: 4,
      username: 'intruder',
      password: password('intruder'),
      reconnectPeriod: 0,
    });
    clients.push(intruder);
    const seen: string[] = [];
    intruder.on('message', (topic) => seen.push(topic));
    // The ACL file lets a subscription through but delivers nothing it does not allow.
    await intruder.subscribeAsync(['things/#', 'things/+/commands/+', '#'], { qos: 1 });
    await presence('sensor-11', 'online');

    const received = victim.nextCommand();
    const call = post(stack.gateways[1], '/devices/sensor-11/commands/unlock', { door: 1 });
    const command = await received;
    const dropped = await metric('mqgw_dropped_command_answers_total{reason="wrong_device"}');
    // On the victim's own reply topic the broker refuses it; on its own, the gateway drops it.
    await intruder
      .publishAsync(
        'things/sensor-11/command-replies/unlock',
        JSON.stringify({ id: command.id, data: 'forged' }),
        { qos: 1 },
      )
      .catch(() => undefined);
    await intruder.publishAsync(
      'things/intruder/command-replies/unlock',
      JSON.stringify({ id: command.id, data: 'forged' }),
      { qos: 1 },
    );
    await waitFor(
      'the forged answer to be dropped',
      async () =>
        (await metric('mqgw_dropped_command_answers_total{reason="wrong_device"}')) > dropped,
    );
    release();
    expect(await call).toMatchObject({ status: 200, body: { data: { genuine: 'unlock' } } });

    // A command the intruder may read, sent after the victim's: once it arrives, the
    // victim's would have arrived before it.
    const own = await simulate('intruder', { protocolVersion: 4 });
    await presence('intruder', 'online');
    const ownCall = await post(stack.gateways[0], '/devices/intruder/commands/ping', {});
    expect(ownCall.status).toBe(200);
    expect(own.received.map((c) => c.name)).toEqual(['ping']);
    expect(seen.filter((t) => t.includes('sensor-11/commands'))).toEqual([]);
    expect(seen).toContain('things/intruder/commands/ping');
  });

  it('answers at once for an offline device, and 504 for a silent one', async () => {
    const never = await post(stack.gateways[0], '/devices/nobody/commands/reboot', {});
    expect(never).toMatchObject({
      status: 409,
      body: { error: { code: 'DEVICE_OFFLINE', details: { status: 'unknown' } } },
    });
    const leaving = await simulate('sensor-7', { protocolVersion: 4 });
    await presence('sensor-7', 'online');
    leaving.crash(); // no DISCONNECT: the broker publishes the will, a retained offline
    await presence('sensor-7', 'offline');
    const gone = await post(stack.gateways[1], '/devices/sensor-7/commands/reboot', {});
    expect(gone).toMatchObject({
      status: 409,
      body: { error: { code: 'DEVICE_OFFLINE', details: { status: 'offline' } } },
    });

    await simulate('sensor-7', { protocolVersion: 5 });
    await presence('sensor-7', 'online');
    const slow = await post(stack.gateways[0], '/devices/sensor-7/commands/reboot?timeout_ms=300', {
      delay_s: 5,
    });
    expect(slow).toMatchObject({ status: 504, body: { error: { code: 'GATEWAY_TIMEOUT' } } });
  });

  it('queues a command for an offline device once, whatever the retries, and keeps the answer', async () => {
    const session = {
      clientId: 'sensor-8-persistent',
      clean: false,
      properties: { sessionExpiryInterval: 300 },
    };
    const first = await simulate('sensor-8', { protocolVersion: 5, ...session });
    await presence('sensor-8', 'online');
    await first.close();
    await presence('sensor-8', 'offline');

    const headers = { authorization: token, 'idempotency-key': 'fw-update-1' };
    const path = '/devices/sensor-8/commands/update?delivery=queued';
    const accepted = await post(stack.gateways[0], path, { version: 2 }, headers);
    expect(accepted).toMatchObject({ status: 202, body: { status: 'accepted' } });
    const id = accepted.body['command_id'] as string;
    const retried = await post(stack.gateways[1], path, { version: 2 }, headers);
    expect(retried).toMatchObject({ status: 202, body: { command_id: id } });
    const changed = await post(stack.gateways[1], path, { version: 3 }, headers);
    expect(changed).toMatchObject({
      status: 422,
      body: { error: { code: 'UNPROCESSABLE_ENTITY' } },
    });
    expect(await get(stack.gateways[1], `/devices/sensor-8/commands/update/${id}`)).toMatchObject({
      status: 202,
      body: { status: 'pending' },
    });
    // Another caller cannot read it.
    const other = await stack.bearer('other', ['devices:command']);
    expect(
      (await get(stack.gateways[0], `/devices/sensor-8/commands/update/${id}`, other)).status,
    ).toBe(404);

    const back = await simulate('sensor-8', { protocolVersion: 5, ...session });
    await waitFor(
      'the queued command to be answered',
      async () =>
        (await get(stack.gateways[1], `/devices/sensor-8/commands/update/${id}`)).status === 200,
    );
    expect(back.received.map((c) => c.name)).toEqual(['update']);
    const result = await get(stack.gateways[0], `/devices/sensor-8/commands/update/${id}`);
    expect(result.body).toMatchObject({ status: 'success', data: { received: { version: 2 } } });
    // A retry after the answer gets the answer, and still sends nothing.
    expect(await post(stack.gateways[0], path, { version: 2 }, headers)).toMatchObject({
      status: 200,
      body: { command_id: id },
    });
    expect(back.received).toHaveLength(1);
  });

  it('bounds what one caller can queue, without touching another caller', async () => {
    await presence('sensor-8', 'online');
    const filler = await stack.bearer('filler', ['devices:command']);
    const queued = [];
    for (let i = 0; i < 4; i++) {
      queued.push(
        await post(
          stack.gateways[i % 2],
          '/devices/nobody-yet/commands/x?delivery=queued',
          {},
          { authorization: filler },
        ),
      );
    }
    // A device that never connected has no session to keep a queued command in.
    expect(queued[0]).toMatchObject({ status: 404 });
    const sleeper = await simulate('sensor-10', {
      protocolVersion: 4,
      handler: () => new Promise(() => undefined),
    });
    await presence('sensor-10', 'online');
    const calls = [];
    for (let i = 0; i < 4; i++) {
      calls.push(
        await post(
          stack.gateways[i % 2],
          '/devices/sensor-10/commands/x?delivery=queued',
          { i },
          { authorization: filler },
        ),
      );
    }
    expect(calls.map((c) => c.status)).toEqual([202, 202, 202, 429]);
    expect(calls[3].body).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    expect(sleeper.received).toHaveLength(3);
    const mine = await post(stack.gateways[0], '/devices/sensor-9/commands/read', { n: 99 });
    expect(mine.status).toBe(200);
  });

  it('checks credentials and scopes, and slows down only the address that fails', async () => {
    const noScope = await stack.bearer('ops', []);
    const narrow = await stack.bearer('narrow', ['devices:command:sensor-9:read']);
    expect(
      (await post(stack.gateways[0], '/devices/sensor-9/commands/read', {}, {})).body,
    ).toMatchObject({
      error: { code: 'UNAUTHORIZED' },
    });
    expect(
      (
        await post(
          stack.gateways[0],
          '/devices/sensor-9/commands/read',
          {},
          { authorization: noScope },
        )
      ).status,
    ).toBe(403);
    expect(
      (
        await post(
          stack.gateways[0],
          '/devices/sensor-9/commands/read',
          {},
          { authorization: narrow },
        )
      ).status,
    ).toBe(200);
    expect(
      (
        await post(
          stack.gateways[0],
          '/devices/sensor-9/commands/reboot',
          {},
          { authorization: narrow },
        )
      ).status,
    ).toBe(403);
    expect(
      (await post(stack.gateways[0], '/devices/sensor-9/commands/read', '{not json')).body,
    ).toMatchObject({
      error: { code: 'BAD_REQUEST' },
    });

    // From 127.0.0.2, bad tokens until that address is refused.
    const from2 = (authorization: string) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          `${stack.gateways[0].httpUrl}/devices/sensor-9/commands/read`,
          { method: 'POST', localAddress: '127.0.0.2', headers: { authorization } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end('{}');
      });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push(await from2('Bearer forged.token.here'));
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.at(-1)).toBe(429);
    // Another address still gets a plain 401 for a bad token, and a good token passes.
    expect(
      (
        await post(
          stack.gateways[0],
          '/devices/sensor-9/commands/read',
          {},
          { authorization: 'Bearer forged.token.here' },
        )
      ).status,
    ).toBe(401);
    expect((await post(stack.gateways[0], '/devices/sensor-9/commands/read', {})).status).toBe(200);
    // The failing address's own valid token is never locked out.
    expect(await from2(token)).toBe(200);
  });
});
