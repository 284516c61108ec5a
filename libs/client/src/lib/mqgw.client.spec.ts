import mqtt, { type MqttClient } from 'mqtt';
import { MQTT_URL, requireService, startMosquitto, uniqueTestId, waitUntil } from '@mqgw/testing';
import { isMqgwClosedError } from './closed.error';
import { connect, type MqgwClient } from './mqgw.client';
import { isMqgwError } from './mqgw.error';
import { isMqgwTimeoutError } from './timeout.error';

interface Seen {
  topic: string;
  body: Record<string, unknown>;
  responseTopic?: string;
  correlationData?: Buffer;
  headers: Record<string, string | string[]>;
}

/**
 * A stand-in for the gateway on a real broker: it answers requests on `<base>/#` as
 * `answer` says (a reply body, or nothing), and records what it received.
 */
async function gatewayStub(
  url: string,
  base: string,
  answer: (
    seen: Seen,
    index: number,
  ) => Record<string, unknown> | undefined | Promise<Record<string, unknown> | undefined>,
): Promise<{ seen: Seen[]; client: MqttClient }> {
  const seen: Seen[] = [];
  const client = await mqtt.connectAsync(url, {
    protocolVersion: 5,
    clientId: uniqueTestId('gw'),
    reconnectPeriod: 100,
  });
  client.on('message', (topic, payload, packet) => {
    const entry: Seen = {
      topic,
      body: JSON.parse(payload.toString()),
      responseTopic: packet.properties?.responseTopic,
      correlationData: packet.properties?.correlationData,
      headers: packet.properties?.userProperties ?? {},
    };
    seen.push(entry);
    void Promise.resolve(answer(entry, seen.length - 1)).then((reply) => {
      if (reply && entry.responseTopic) {
        void client.publishAsync(entry.responseTopic, JSON.stringify(reply), {
          qos: 1,
          properties: { correlationData: entry.correlationData },
        });
      }
    });
  });
  await client.subscribeAsync(`${base}/#`, { qos: 1 });
  return { seen, client };
}

const success = (data: unknown) => ({
  status: 'success',
  data,
  request_id: 'r-1',
  service: 'svc',
  processing_time: 0.001,
});
const failure = (code: string, status: number, extra: Record<string, unknown> = {}) => ({
  status: 'error',
  status_code: status,
  error: { code, message: `${code} says no`, ...extra },
  request_id: 'r-2',
});

describe('MqgwClient (real Mosquitto)', () => {
  const clients: (MqgwClient | MqttClient)[] = [];
  const base = uniqueTestId('api');
  const track = <T extends MqgwClient | MqttClient>(c: T) => (clients.push(c), c);

  beforeAll(() => requireService(MQTT_URL));
  afterEach(async () => {
    await Promise.allSettled(
      clients.splice(0).map((c) => ('replyTopic' in c ? c.close() : c.endAsync(true))),
    );
  });

  it('resolves with the reply to its own request, asked for in its own reply space', async () => {
    const gw = await gatewayStub(MQTT_URL, base, (s) => success({ echo: s.body }));
    track(gw.client);
    const client = track(
      await connect(MQTT_URL, { username: undefined, clientId: uniqueTestId('c'), token: 'tok' }),
    );
    const [a, b] = await Promise.all([
      client.request(`${base}/things/create`, { n: 1 }),
      client.request(`${base}/things/create`, { n: 2 }),
    ]);
    expect(a['data']).toEqual({ echo: { n: 1 } });
    expect(b['data']).toEqual({ echo: { n: 2 } });
    const [first, second] = gw.seen;
    expect(first.responseTopic).toBe(client.replyTopic);
    expect(client.replyTopic.startsWith(`replies/${client.clientId}/`)).toBe(true);
    expect(first.correlationData!.toString()).not.toBe(second.correlationData!.toString());
    expect(first.correlationData!.toString()).toMatch(/^[0-9a-f]{24}[0-9a-z]+$/);
    expect(first.headers['authorization']).toBe('Bearer tok');
    // An unsafe route (or one it does not know): a key of its own, per request.
    expect(first.headers['idempotency-key']).toMatch(/^[0-9a-f]{32}$/);
    expect(second.headers['idempotency-key']).not.toBe(first.headers['idempotency-key']);
  });

  it('sends the traceparent of the caller span: per request, or asked of the client each time', async () => {
    const gw = await gatewayStub(MQTT_URL, base, (s) => success({ echo: s.body }));
    track(gw.client);
    const current = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const given = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const client = track(
      await connect(MQTT_URL, {
        username: undefined,
        clientId: uniqueTestId('c'),
        traceparent: () => current,
      }),
    );
    await client.request(`${base}/things/create`, {});
    await client.request(`${base}/things/create`, {}, { traceparent: given });
    expect(gw.seen.map((s) => s.headers['traceparent'])).toEqual([current, given]);
  });

  it('takes only the reply to its own request: a forged one on its reply topic is ignored', async () => {
    let forge: () => Promise<unknown> = async () => undefined;
    const gw = await gatewayStub(MQTT_URL, base, async (s) => {
      await forge();
      return success({ echo: s.body });
    });
    track(gw.client);
    const client = track(await connect(MQTT_URL));
    // Another client that knows the reply topic, but not the correlation data of a request.
    forge = () =>
      gw.client.publishAsync(client.replyTopic, JSON.stringify(success('forged')), {
        qos: 1,
        properties: { correlationData: Buffer.from(`${gw.seen[0].correlationData}x`) },
      });
    expect((await client.request(`${base}/things/create`, { n: 1 }))['data']).toEqual({
      echo: { n: 1 },
    });
  });

  it('sends no key on a route its table says is safe, and takes a key of the caller', async () => {
    const gw = await gatewayStub(MQTT_URL, base, () => success(null));
    track(gw.client);
    const client = track(
      await connect(MQTT_URL, {
        routes: [{ topic: `${base}/things/get/{id}`, method: 'GET' }],
      }),
    );
    await client.request(`${base}/things/get/7`);
    await client.request(`${base}/things/create`, {}, { idempotencyKey: 'mine-1' });
    await client.request(`${base}/things/create`, {}, { idempotencyKey: false });
    expect(gw.seen.map((s) => s.headers['idempotency-key'])).toEqual([
      undefined,
      'mine-1',
      undefined,
    ]);
  });

  it('rejects with the typed error of an error reply, and does not retry a refusal', async () => {
    const gw = await gatewayStub(MQTT_URL, base, () =>
      failure('BAD_REQUEST', 400, { details: { violations: [{ pointer: '/x', message: 'no' }] } }),
    );
    track(gw.client);
    const client = track(await connect(MQTT_URL));
    const error = await client.request(`${base}/things/create`, { x: 1 }).catch((e: unknown) => e);
    expect(isMqgwError(error)).toBe(true);
    expect(error).toMatchObject({
      code: 'BAD_REQUEST',
      status: 400,
      retryAfter: undefined,
      requestId: 'r-2',
      details: { violations: [{ pointer: '/x', message: 'no' }] },
    });
    expect(gw.seen).toHaveLength(1);
  });

  it('retries what the reply says may succeed, with the same key, until it does', async () => {
    const gw = await gatewayStub(MQTT_URL, base, (_s, i) =>
      i === 0
        ? failure('RATE_LIMITED', 429, { retry_after: 0 })
        : i === 1
          ? failure('SERVICE_UNAVAILABLE', 503)
          : success('done'),
    );
    track(gw.client);
    const client = track(await connect(MQTT_URL));
    const reply = await client.request(`${base}/things/create`, {});
    expect(reply['data']).toBe('done');
    expect(gw.seen).toHaveLength(3);
    expect(new Set(gw.seen.map((s) => s.headers['idempotency-key'])).size).toBe(1);
  });

  it('never retries a 5xx of an unkeyed request that may change something, nor a broken contract', async () => {
    const gw = await gatewayStub(MQTT_URL, base, (s) =>
      s.topic.endsWith('/contract')
        ? failure('UPSTREAM_ERROR', 502, { details: { reason: 'contract' } })
        : failure('UPSTREAM_ERROR', 502),
    );
    track(gw.client);
    const client = track(await connect(MQTT_URL));
    await expect(
      client.request(`${base}/things/create`, {}, { idempotencyKey: false }),
    ).rejects.toMatchObject({ code: 'UPSTREAM_ERROR', status: 502 });
    await expect(client.request(`${base}/things/contract`, {})).rejects.toMatchObject({
      details: { reason: 'contract' },
    });
    expect(gw.seen).toHaveLength(2);
  });

  it('sends an unanswered request again with the same key, and gives up typed', async () => {
    const gw = await gatewayStub(MQTT_URL, base, (_s, i) => (i < 1 ? undefined : success('late')));
    track(gw.client);
    const client = track(await connect(MQTT_URL, { timeoutMs: 300 }));
    expect((await client.request(`${base}/things/create`, {}))['data']).toBe('late');
    expect(gw.seen).toHaveLength(2);
    expect(gw.seen[0].headers['idempotency-key']).toBe(gw.seen[1].headers['idempotency-key']);

    const silent = await gatewayStub(MQTT_URL, `${base}-silent`, () => undefined);
    track(silent.client);
    const error = await client
      .request(`${base}-silent/x`, {}, { retries: 1 })
      .catch((e: unknown) => e);
    expect(isMqgwTimeoutError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'TIMEOUT', attempts: 2 });
    // Without a key, and not known to be safe, once is all.
    await expect(
      client.request(`${base}-silent/y`, {}, { idempotencyKey: false }),
    ).rejects.toMatchObject({ attempts: 1 });
    expect(silent.seen).toHaveLength(3);
  });

  it('gets the reply to a request in flight across a reconnect, sent once', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const gw = await gatewayStub(MQTT_URL, base, async (s) => {
      await held;
      return success({ echo: s.body });
    });
    track(gw.client);
    const client = track(
      await connect(MQTT_URL, { clientId: uniqueTestId('blip'), reconnectPeriodMs: 100 }),
    );
    let reconnects = 0;
    client.mqtt.on('connect', () => reconnects++);
    const pending = client.request(`${base}/things/create`, { n: 1 });
    await waitUntil('the request to arrive', () => gw.seen.length === 1, 10_000);
    // The network drops; the broker keeps the session and queues the reply meanwhile.
    client.mqtt.stream.destroy();
    await waitUntil('the client to notice', () => !client.mqtt.connected, 10_000);
    release();
    expect((await pending)['data']).toEqual({ echo: { n: 1 } });
    expect(reconnects).toBeGreaterThanOrEqual(1);
    expect(gw.seen).toHaveLength(1);
  });

  it('runs a request once across a broker restart that loses the session, by its key', async () => {
    const broker = await startMosquitto();
    try {
      const executed = new Set<string>();
      const answer = (s: Seen) => {
        executed.add(String(s.headers['idempotency-key']));
        return success('ok');
      };
      let gw = await gatewayStub(broker.url, base, () => undefined);
      const client = track(
        await connect(broker.url, { timeoutMs: 500, retries: 5, reconnectPeriodMs: 100 }),
      );
      const pending = client.request(`${base}/things/create`, { n: 1 });
      await waitUntil('the request to arrive', () => gw.seen.length === 1, 10_000);
      const key = String(gw.seen[0].headers['idempotency-key']);
      await gw.client.endAsync(true);
      await broker.restart();
      gw = await gatewayStub(broker.url, base, answer);
      track(gw.client);
      expect((await pending)['data']).toBe('ok');
      expect([...executed]).toEqual([key]);
    } finally {
      await broker.stop();
    }
  });

  it('fails what waits when closed', async () => {
    const gw = await gatewayStub(MQTT_URL, base, () => undefined);
    track(gw.client);
    const client = await connect(MQTT_URL);
    const pending = client.request(`${base}/things/create`, {}).catch((e: unknown) => e);
    await waitUntil('the request to arrive', () => gw.seen.length === 1, 10_000);
    await client.close();
    expect(isMqgwClosedError(await pending)).toBe(true);
    expect(client.inFlight).toBe(0);
  });
});
