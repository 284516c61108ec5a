import { MqttRequester } from '@mqgw/testing';
import { Stack } from './support/stack';
import { TestUpstream, echo } from './support/test-upstream';

type Data = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('broker and gateway outages', () => {
  let stack: Stack;
  let upstream: TestUpstream;

  beforeAll(async () => {
    upstream = await TestUpstream.start(echo);
    stack = await Stack.start({ name: 'reliability', noServices: true, gateways: 0 });
  });
  afterAll(async () => {
    await stack?.stop();
    await upstream?.stop();
  });

  it('reconnects and resubscribes after a broker restart', async () => {
    await stack.startGateway({ SERVICES: `user-service=${upstream.url}` });
    const headers = { authorization: await stack.bearer('u') };
    const before = await stack.requester();
    expect((await before.request<Data>('api/v1/users/list', {}, { headers })).body['status']).toBe(
      'success',
    );

    await stack.broker.stop();
    await stack.broker.startProcess('reliability-mosquitto-again');
    const after = await MqttRequester.connect(stack.mqttUrl);
    let reply: Data | undefined;
    for (let i = 0; i < 40 && !reply; i++) {
      reply = await after
        .request<Data>('api/v1/users/list', {}, { headers, timeoutMs: 500 })
        .then((r) => r.body)
        .catch(() => undefined);
    }
    await after.close();
    expect(reply?.['status']).toBe('success');
    await stack.gateways[0].process.stop();
  });

  it('answers QoS 1 requests published while the gateway was away, thanks to its persistent session', async () => {
    const env = {
      SERVICES: `user-service=${upstream.url}`,
      MQTT_SESSION_EXPIRY_SECONDS: '300',
      MQTT_CLIENT_ID: `${stack.prefix}persist`.replace(/[^\w.:-]/g, '-').slice(0, 60),
    };
    const first = await stack.startGateway(env);
    await first.process.stop('SIGKILL');
    const client = await stack.requester();
    const headers = { authorization: await stack.bearer('u') };
    const pending = Array.from({ length: 5 }, (_, i) =>
      client.request<Data>(`api/v1/users/get/queued-${i}`, {}, { headers, timeoutMs: 20_000 }),
    );
    await sleep(300);
    await stack.startGateway(env);
    const replies = await Promise.all(pending);
    expect(replies.map((r) => r.body['status'])).toEqual(Array(5).fill('success'));
    expect(upstream.requests.filter((r) => r.url.startsWith('/users/queued-'))).toHaveLength(5);
  });
});
