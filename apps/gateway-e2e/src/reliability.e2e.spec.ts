import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectRequester, type MqttRequester } from '@mqgw/testing';
import { LOG_DIR } from './support/processes';
import { scrape, total } from './support/prometheus';
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
    const after = await connectRequester(stack.mqttUrl);
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

/*
 * SIGKILL gives a gateway no chance to drain. Behind a shared subscription, what happens
 * next depends on the session:
 * - clean sessions (the default with SHARED_SUBSCRIPTION_GROUP): the broker forgets the
 *   dead member at once and the survivor takes every new request. Requests the dead
 *   instance had taken and not answered are gone; the client retries them after its
 *   timeout with the same idempotency key.
 * - persistent sessions: Mosquitto keeps routing the dead member's share to its offline
 *   session. Nothing is lost, but those requests wait until the instance comes back with
 *   the same client id.
 * Either way nothing runs twice: the gateway records replies per (principal, key) and
 * passes the key to the service, which dedups a call the dead instance had already made.
 */
describe('one of two gateways SIGKILLed under load', () => {
  const start = (sessionExpiry: string) =>
    Stack.start({
      name: `sigkill-${sessionExpiry}`,
      services: ['order-service', 'payment-service'],
      gateways: 2,
      gatewayEnv: {
        SHARED_SUBSCRIPTION_GROUP: 'kill',
        MQTT_SESSION_EXPIRY_SECONDS: sessionExpiry,
        UPSTREAM_TIMEOUT_MS: '2000',
      },
    });

  /** Gateway 0 is SIGKILLed once request KILLED_AFTER has been sent. */
  const KILLED_AFTER = 60;

  /** New orders of the paying user, made at the order service itself. */
  async function ordersOf(stack: Stack, count: number): Promise<string[]> {
    const orders = stack.services.get('order-service')!.url;
    const create = async () => {
      const response = await fetch(`${orders}/orders`, {
        method: 'POST',
        headers: { 'x-user-id': 'killer', 'content-type': 'application/json' },
        body: JSON.stringify({ items: [{ sku: 'sku-1', quantity: 1 }] }),
      });
      return ((await response.json()) as Data)['order_id'] as string;
    };
    const ids: string[] = [];
    for (let i = 0; i < count; i += 20) {
      ids.push(...(await Promise.all(Array.from({ length: Math.min(20, count - i) }, create))));
    }
    return ids;
  }

  /** 80 payments to warm both instances, then 200 keyed payments 4 ms apart; gateway 0 is killed after request KILLED_AFTER. */
  async function loadAndKill(stack: Stack, timeoutMs: number) {
    const client = await stack.requester();
    const headers = { authorization: await stack.bearer('killer') };
    const run = `${Date.now()}`;
    const [warmOrders, orders] = [await ordersOf(stack, 80), await ordersOf(stack, TOTAL)];
    const pay = (orderId: string, key: string, timeout: number) =>
      client
        .request<Data>(
          'api/v1/payments/process',
          { order_id: orderId },
          { headers: { ...headers, 'idempotency-key': key }, timeoutMs: timeout },
        )
        .then((r) => r.body)
        .catch(() => undefined);
    const send = (i: number, timeout: number) => pay(orders[i], `kill-${run}-${i}`, timeout);
    // A crash hits an instance that has been running, not one answering its first requests.
    for (let round = 0; round < 4; round++) {
      const warm = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          pay(warmOrders[round * 20 + i], `warm-${run}-${round}-${i}`, 10_000),
        ),
      );
      expect(warm.map((w) => w?.['status'])).toEqual(Array(20).fill('success'));
    }
    const warmReplies = client.received.length;
    /** Replies to this run's requests so far. */
    const answered = () => client.received.length - warmReplies;
    const pending: Promise<Data | undefined>[] = [];
    for (let i = 0; i < TOTAL; i++) {
      pending.push(send(i, timeoutMs));
      if (i === KILLED_AFTER) await stack.gateways[0].process.stop('SIGKILL');
      await sleep(4);
    }
    return { client, orders, send, pending, answered };
  }

  /** Exactly one payment per order, the one the client was told about; one reply each. */
  async function expectExactlyOnce(
    stack: Stack,
    client: MqttRequester,
    orders: string[],
    answers: (Data | undefined)[],
  ) {
    expect(answers.filter((a) => a?.['status'] === 'success')).toHaveLength(TOTAL);
    const payments = stack.services.get('payment-service')!.url;
    // As the paying user: payments belong to their creator.
    const all = (await (
      await fetch(`${payments}/payments`, { headers: { 'x-user-id': 'killer' } })
    ).json()) as Data[];
    const wanted = new Set(orders);
    const ours = all.filter((p) => wanted.has(String(p['order_id'])));
    expect(ours).toHaveLength(TOTAL);
    const byOrder = new Map(ours.map((p) => [p['order_id'], p['payment_id']]));
    answers.forEach((a, i) => expect(a?.['data']['payment_id']).toBe(byOrder.get(orders[i])));
    const replies = client.received.filter((r) => r.topic.startsWith(client.replyPrefix));
    const correlations = replies.map((r) => r.packet.properties?.correlationData?.toString());
    expect(new Set(correlations).size).toBe(correlations.length);
  }

  it('clean sessions: the survivor takes over at once; the few lost requests succeed on retry, once', async () => {
    const stack = await start('0');
    try {
      const { client, orders, send, pending } = await loadAndKill(stack, 3000);
      const answers = await Promise.all(pending);
      const lost = answers.flatMap((a, i) => (a ? [] : [i]));
      for (let attempt = 0; attempt < 3 && answers.some((a) => !a); attempt++) {
        const missing = answers.flatMap((a, i) => (a ? [] : [i]));
        const retried = await Promise.all(missing.map((i) => send(i, 10_000)));
        missing.forEach((i, n) => (answers[i] = retried[n]));
      }
      writeMeasurement('sigkill-clean', { total: TOTAL, lostBeforeRetry: lost });
      // Only what the dead instance held in flight is lost, not its share of what followed.
      expect(lost.filter((i) => i > KILLED_AFTER)).toEqual([]);
      await expectExactlyOnce(stack, client, orders, answers);
    } finally {
      await stack.stop();
    }
  });

  it('persistent sessions: the dead share waits in the broker and is answered when the instance returns', async () => {
    const stack = await start('300');
    try {
      const { client, orders, send, pending, answered } = await loadAndKill(stack, 30_000);
      await sleep(1000);
      const unanswered = TOTAL - answered();
      await stack.startGateway(stack.gateways[0].env);
      const answers = await Promise.all(pending);
      // What the dead instance held in flight when it was killed is lost, as with clean
      // sessions; the client retries it with the same key.
      const lost = answers.flatMap((a, i) => (a ? [] : [i]));
      const retried = await Promise.all(lost.map((i) => send(i, 10_000)));
      lost.forEach((i, n) => (answers[i] = retried[n]));
      writeMeasurement('sigkill-persistent', {
        total: TOTAL,
        waitingForRestart: unanswered,
        lostInFlight: lost,
      });
      // Roughly half of what followed the kill was routed to the dead session and waited.
      expect(unanswered).toBeGreaterThan(20);
      // What was lost had reached the dead instance before the kill; all that followed waited.
      expect(lost.filter((i) => i > KILLED_AFTER)).toEqual([]);
      await expectExactlyOnce(stack, client, orders, answers);
    } finally {
      await stack.stop();
    }
  });
});

describe('one of two service instances SIGKILLed under load', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await Stack.start({ name: 'upstream-kill', services: ['user-service'] });
  });
  afterAll(() => stack?.stop());

  it('the survivor answers: refused calls move over at once, whatever their method', async () => {
    const doomed = stack.services.get('user-service')!;
    const survivor = await stack.startService('user-service');
    const client = await stack.requester();
    const headers = { authorization: await stack.bearer('u') };
    const services = async () =>
      ((await client.request<Data>('gateway/services')).body['services'] as Data[]).find(
        (s) => s['name'] === 'user-service',
      )?.['total_instances'];
    for (let i = 0; i < 50 && (await services()) !== 2; i++) await sleep(100);
    expect(await services()).toBe(2);

    const sent: { get: boolean; reply: Promise<Data> }[] = [];
    for (let i = 0; i < 600; i++) {
      const get = i % 2 === 0;
      const reply = get
        ? client.request<Data>('api/v1/users/list', {}, { headers })
        : // One profile per user: each POST as another user.
          client.request<Data>(
            'api/v1/users/create',
            { name: `n${i}`, email: `n${i}@example.com` },
            { headers: { authorization: await stack.bearer(`kill-user-${i}`) } },
          );
      sent.push({ get, reply: reply.then((r) => r.body) });
      if (i === 100) await doomed.process.stop('SIGKILL');
      await sleep(10);
    }
    const outcomes = await Promise.all(sent.map(async (s) => ({ ...s, body: await s.reply })));
    const failed = outcomes.filter((o) => o.body['status'] !== 'success');
    writeMeasurement('upstream-kill', { sent: outcomes.length, failed: failed.length });
    // A refused connection goes to the survivor whatever the method, and the refusing
    // instance leaves routing at once. Only a POST already sent to the dying instance
    // could fail (it is never retried); it is sent 10 ms before the kill, so none does.
    expect(failed.filter((o) => o.get)).toEqual([]);
    expect(failed.length).toBeLessThanOrEqual(1);
    for (const o of failed) expect(o.body['error'].code).toBe('UPSTREAM_ERROR');
    expect(survivor.process.running).toBe(true);
  });
});

describe('idempotency and metrics across two gateway instances', () => {
  let stack: Stack;
  let upstream: TestUpstream;
  beforeAll(async () => {
    upstream = await TestUpstream.start((req, res) => setTimeout(() => echo(req, res), 50));
    stack = await Stack.start({
      name: 'idem-2',
      noServices: true,
      gateways: 2,
      gatewayEnv: { SHARED_SUBSCRIPTION_GROUP: 'idem', SERVICES: `user-service=${upstream.url}` },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await upstream?.stop();
  });

  it('runs a burst of duplicates once, wherever each lands, and counts every request once', async () => {
    const client = await stack.requester();
    const headers = { authorization: await stack.bearer('dup'), 'idempotency-key': 'one-user' };
    const replies = await Promise.all(
      Array.from({ length: 40 }, () =>
        client.request<Data>(
          'api/v1/users/create',
          { name: 'Once', email: 'once@example.com' },
          { headers },
        ),
      ),
    );
    expect(upstream.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(new Set(replies.map((r) => JSON.stringify(r.body))).size).toBe(1);
    expect(replies[0].body['status']).toBe('success');

    // Both instances served the burst, and gateway/metrics adds them up exactly.
    await sleep(300);
    const counted = await Promise.all(
      stack.gateways.map(async (g) => total(await scrape(g.httpUrl), 'mqgw_requests_total')),
    );
    expect(counted.every((n) => n > 0)).toBe(true);
    expect(counted[0] + counted[1]).toBe(40);
    const metrics = (await client.request<Data>('gateway/metrics')).body;
    expect(metrics['gateway']['total_requests']).toBe(40);
  });
});

const TOTAL = 200;

/** Keeps a measurement next to the run's logs, for the docs. */
function writeMeasurement(name: string, value: unknown): void {
  mkdirSync(LOG_DIR, { recursive: true });
  writeFileSync(join(LOG_DIR, `${name}.json`), JSON.stringify(value));
}
