import { readFileSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import { ApiKeyStore } from '@mqgw/auth';
import { PrefixedKvStore, RedisKvStore } from '@mqgw/store';
import { waitFor } from './support/processes';
import { scrape } from './support/prometheus';
import { Stack } from './support/stack';
import { TestUpstream, echo, type Behaviour } from './support/test-upstream';

type Data = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/*
 * Admission before work: what a client can make the gateway do before it knows who is
 * asking, and what one caller can take from the others. Each case is an attack from the
 * overload and abuse review, run against the real broker, Redis and gateway.
 */

/** A raw MQTT 5 client: for floods, which need no replies of their own. */
async function rawClient(url: string): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 5, reconnectPeriod: 0 });
  (client.stream as unknown as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  return client;
}

/** Every message on `filter` while the returned listener is open. */
async function listen(url: string, filter: string) {
  const client = await rawClient(url);
  const messages: { topic: string; payload: string }[] = [];
  client.on('message', (topic, payload) => messages.push({ topic, payload: payload.toString() }));
  await client.subscribeAsync(filter, { qos: 0 });
  return { messages, close: () => client.endAsync(true) };
}

const dropped = async (httpUrl: string, reason: string) =>
  (await scrape(httpUrl)).get(`mqgw_dropped_requests_total{reason="${reason}"}`) ?? 0;

describe('replies to callers not yet known', () => {
  let stack: Stack;
  let upstream: TestUpstream;

  beforeAll(async () => {
    upstream = await TestUpstream.start(echo);
    stack = await Stack.start({
      name: 'admit-bound',
      noServices: true,
      gatewayEnv: {
        SERVICES: `user-service=${upstream.url}`,
        REPLY_TOPIC_PATTERN: 'replies/{user}/#',
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await upstream?.stop();
  });

  it('never reach a reply space bound to a user, whatever the request did wrong', async () => {
    const inbox = await listen(stack.mqttUrl, 'replies/alice/#');
    const attacker = await rawClient(stack.mqttUrl);
    try {
      const gateway = stack.gateways[0].httpUrl;
      const before = await dropped(gateway, 'unauthenticated_reply');
      // Bad JSON, an oversized user property, a garbage token, and the anonymous gateway
      // route, all at QoS 1 so that the broker delivers every one.
      // (mqtt.js never sends a PUBLISH whose user properties are an empty object: each case
      // carries one.)
      const flood: { topic: string; payload: string; props: Record<string, string> }[] = [
        { topic: 'api/v1/users/create', payload: '{"name":', props: { 'x-note': 'json' } },
        { topic: 'api/v1/users/list', payload: '{}', props: { 'x-big': 'x'.repeat(9000) } },
        { topic: 'api/v1/users/list', payload: '{}', props: { authorization: 'Bearer junk' } },
        { topic: 'gateway/services', payload: '{}', props: { 'x-note': 'anonymous' } },
      ];
      const count = 3000;
      await Promise.all(
        Array.from({ length: count }, (_, i) => {
          const { topic, payload, props } = flood[i % flood.length];
          return attacker.publishAsync(topic, payload, {
            qos: 1,
            properties: {
              responseTopic: 'replies/alice/inbox',
              correlationData: Buffer.from(String(i)),
              userProperties: props,
            },
          });
        }),
      );
      await waitFor(
        'every request of the flood to be dropped',
        async () => (await dropped(gateway, 'unauthenticated_reply')) - before >= count,
        60_000,
      );
      // Alice's own request, answered after the flood was handled: she got only that.
      const alice = await stack.requester({ replyPrefix: 'replies/alice' });
      const own = await alice.request<Data>(
        'api/v1/users/list',
        {},
        { headers: { authorization: await stack.bearer('alice') } },
      );
      expect(own.body['status']).toBe('success');
      expect(inbox.messages.filter((m) => m.topic === 'replies/alice/inbox')).toEqual([]);
      expect((await dropped(gateway, 'unauthenticated_reply')) - before).toBe(count);
    } finally {
      await attacker.endAsync(true);
      await inbox.close();
    }
  });
});

describe('replies to callers not yet known, in an unbound reply space', () => {
  let stack: Stack;
  let upstream: TestUpstream;

  beforeAll(async () => {
    upstream = await TestUpstream.start(echo);
    stack = await Stack.start({
      name: 'admit-unbound',
      noServices: true,
      gatewayEnv: { SERVICES: `user-service=${upstream.url}`, ANONYMOUS_REPLY_RATE: '10' },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await upstream?.stop();
  });

  it('are limited per reply topic: a flood at a victim’s topic delivers a trickle', async () => {
    const inbox = await listen(stack.mqttUrl, 'replies/victim/#');
    const attacker = await rawClient(stack.mqttUrl);
    try {
      const started = Date.now();
      const count = 3000;
      await Promise.all(
        Array.from({ length: count }, (_, i) =>
          attacker.publishAsync('api/v1/users/list', '{}', {
            qos: 1,
            properties: {
              responseTopic: 'replies/victim/inbox',
              userProperties: { authorization: `Bearer junk${i}` },
            },
          }),
        ),
      );
      const gateway = stack.gateways[0].httpUrl;
      await waitFor(
        'the flood to be handled',
        async () => inbox.messages.length + (await dropped(gateway, 'reply_limited')) >= count,
        60_000,
      );
      const seconds = Math.ceil((Date.now() - started) / 1000);
      // A burst of twice the rate, then the rate, for as long as the flood lasted.
      expect(inbox.messages.length).toBeLessThanOrEqual(20 + 10 * seconds);
      expect(inbox.messages.length).toBeGreaterThan(0);
      expect(await dropped(gateway, 'reply_limited')).toBe(count - inbox.messages.length);
    } finally {
      await attacker.endAsync(true);
      await inbox.close();
    }
  });
});

describe('failed authentication costs the one who fails', () => {
  let stack: Stack;
  let upstream: TestUpstream;

  beforeAll(async () => {
    upstream = await TestUpstream.start(echo);
    stack = await Stack.start({
      name: 'admit-lockout',
      noServices: true,
      gatewayEnv: {
        SERVICES: `user-service=${upstream.url}`,
        AUTH_FAILURE_LIMIT: '20',
        MAX_INFLIGHT: '64',
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await upstream?.stop();
  });

  it('never refuses another client’s API key, not even one no cache has seen', async () => {
    const attacker = await rawClient(stack.mqttUrl);
    const alice = await stack.requester();
    try {
      const gateway = stack.gateways[0].httpUrl;
      const failures = async () =>
        (await scrape(gateway)).get(
          'mqgw_requests_total{route="api/v1/users/list",outcome="UNAUTHORIZED"}',
        ) ?? 0;
      // 700 garbage tokens and keys, no response topic: the review's lock-out attack.
      for (let i = 0; i < 700; i++) {
        const props: Record<string, string> =
          i % 2 === 0
            ? { authorization: `Bearer garbage.${i}.token` }
            : { 'x-api-key': `mqgw_${String(i).padStart(12, '0')}_${'a'.repeat(43)}` };
        attacker.publish('api/v1/users/list', '{}', {
          qos: 0,
          properties: { userProperties: props },
        });
      }
      await waitFor('the failures to be counted', async () => (await failures()) >= 20, 30_000);
      // A key created now is in no cache anywhere.
      const keys = new ApiKeyStore(
        new PrefixedKvStore(new RedisKvStore(stack.redis.redis), stack.prefix),
      );
      const { key } = await keys.create('alice', []);
      const viaKey = await alice.request<Data>(
        'api/v1/users/list',
        {},
        { headers: { 'x-api-key': key } },
      );
      expect(viaKey.body['status']).toBe('success');
      const viaToken = await alice.request<Data>(
        'api/v1/users/list',
        {},
        { headers: { authorization: await stack.bearer('alice') } },
      );
      expect(viaToken.body['status']).toBe('success');
    } finally {
      await attacker.endAsync(true);
    }
  });

  it('cannot fill the in-flight bound: valid requests beside a flood of failures are all served', async () => {
    const attacker = await rawClient(stack.mqttUrl);
    const alice = await stack.requester();
    const headers = { authorization: await stack.bearer('alice') };
    try {
      const answers: Promise<Data>[] = [];
      // 3000 failing requests in about a second, QoS 0, with 50 valid ones among them.
      for (let i = 0; i < 3000; i++) {
        attacker.publish('api/v1/users/list', '{}', {
          qos: 0,
          properties: { userProperties: { authorization: `Bearer junk.${i}.x` } },
        });
        if (i % 60 === 0) {
          answers.push(
            alice.request<Data>('api/v1/users/list', {}, { headers }).then((r) => r.body),
          );
          await new Promise((r) => setImmediate(r));
        }
      }
      const bodies = await Promise.all(answers);
      expect(bodies.map((b) => b['status'])).toEqual(bodies.map(() => 'success'));
    } finally {
      await attacker.endAsync(true);
    }
  });
});

describe('overload: fair shares, deadlines and cheap refusals', () => {
  let stack: Stack;
  let upstream: TestUpstream;
  let inside = 0;
  let most = 0;
  // Each call stays 300 ms, so that requests pile up inside the gateway.
  const slow: Behaviour = (req, res) => {
    inside++;
    most = Math.max(most, inside);
    setTimeout(() => {
      inside--;
      echo(req, res);
    }, 300);
  };

  beforeAll(async () => {
    upstream = await TestUpstream.start(slow);
    stack = await Stack.start({
      name: 'admit-overload',
      noServices: true,
      gatewayEnv: {
        SERVICES: `user-service=${upstream.url}`,
        ADMISSION_LIMIT: '8',
        REFUSAL_REPLY_RATE: '10',
        RATE_LIMIT_MAX: '100000',
        FALLBACK_CACHE_TTL_SECONDS: '0',
        LOG_LEVEL: 'log',
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await upstream?.stop();
  });

  it('refuses a flooding principal beyond its share, typed and cheaply, while another is served', async () => {
    const flooder = await stack.requester();
    const other = await stack.requester();
    const flood = { authorization: await stack.bearer('flood') };
    const ok = { authorization: await stack.bearer('quiet') };
    const started = Date.now();
    // A refusal past the reply topic's budget gets no answer: those end as undefined.
    const floods = Array.from({ length: 200 }, () =>
      flooder
        .request<Data>('api/v1/users/list', {}, { headers: flood, timeoutMs: 5000 })
        .then((r) => r.body)
        .catch(() => undefined),
    );
    // Once the flood holds the gateway's limit, the other principal still has its share.
    await waitFor('the flood to fill the limit', async () => inside >= 8);
    const quiet = await Promise.all(
      Array.from({ length: 4 }, () =>
        other.request<Data>('api/v1/users/list', {}, { headers: ok }).then((r) => r.body),
      ),
    );
    expect(quiet.map((b) => b['status'])).toEqual(['success', 'success', 'success', 'success']);
    const bodies = await Promise.all(floods);
    const seconds = Math.ceil((Date.now() - started) / 1000);
    const served = bodies.filter((b) => b?.['status'] === 'success').length;
    const answered = bodies.filter((b) => b?.['status'] === 'error');
    for (const body of answered) {
      expect(body).toMatchObject({
        status_code: 503,
        error: { code: 'SERVICE_UNAVAILABLE', reason: 'overloaded', retry_after: 1 },
      });
    }
    // Every refusal is counted; the flooder's reply topic was told a few times
    // (REFUSAL_REPLY_RATE, in bursts of twice that), not 200 times.
    const gateway = stack.gateways[0];
    const metrics = await scrape(gateway.httpUrl);
    const refused = metrics.get('mqgw_refused_requests_total{reason="overloaded"}') ?? 0;
    expect(refused).toBe(200 - served);
    expect(refused).toBeGreaterThan(100);
    expect(answered.length).toBeGreaterThan(0);
    expect(answered.length).toBeLessThanOrEqual(20 + 10 * seconds);
    // Counted, not logged one by one: a refusal writes no error line and no stack.
    const log = readFileSync(gateway.process.logFile, 'utf8');
    expect(log.match(/refusing requests/g)?.length ?? 0).toBeLessThanOrEqual(2);
    expect(log).not.toMatch(/"level":"error"/);
  });

  it('refuses a request whose deadline has passed before it costs a service call', async () => {
    const client = await stack.requester();
    const before = upstream.requests.length;
    const reply = await client.request<Data>(
      'api/v1/users/list',
      {},
      {
        headers: {
          authorization: await stack.bearer('late'),
          deadline: String(Date.now() - 1000),
        },
      },
    );
    expect(reply.body).toMatchObject({
      status: 'error',
      error: { code: 'SERVICE_UNAVAILABLE', reason: 'deadline' },
    });
    expect(upstream.requests.length).toBe(before);
  });

  it('refuses a malformed deadline as the caller’s error', async () => {
    const client = await stack.requester();
    const reply = await client.request<Data>(
      'api/v1/users/list',
      {},
      { headers: { authorization: await stack.bearer('odd'), deadline: 'soon' } },
    );
    expect(reply.body).toMatchObject({ status: 'error', error: { code: 'BAD_REQUEST' } });
  });
});

describe('a service’s concurrency limit from the routes file', () => {
  let stack: Stack;
  let upstream: TestUpstream;
  let inside = 0;
  let most = 0;
  const slow: Behaviour = (req, res) => {
    inside++;
    most = Math.max(most, inside);
    setTimeout(() => {
      inside--;
      echo(req, res);
    }, 600);
  };

  beforeAll(async () => {
    upstream = await TestUpstream.start(slow);
    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { LOG_DIR } = await import('./support/processes');
    const file = join(LOG_DIR, 'admit-bulkhead-routes.yaml');
    writeFileSync(
      file,
      `services:
  slow-service:
    instances: [${upstream.url}]
    concurrency: 2
groups:
  - prefix: api/v1
    steps: [auth, fallback]
    routes:
      - { topic: slow/work, qos: 1, service: slow-service, method: POST, path: /work }
  - prefix: gateway
    steps: [auth, rateLimit]
    allowAnonymous: true
    routes:
      - { topic: health, qos: 0, handler: health }
      - { topic: services, qos: 1, handler: services }
      - { topic: metrics, qos: 1, handler: metrics }
`,
    );
    stack = await Stack.start({
      name: 'admit-bulkhead',
      noServices: true,
      gatewayEnv: { ROUTES_FILE: file },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await upstream?.stop();
  });

  it('keeps calls to the service within it; the rest wait, then are refused typed', async () => {
    const client = await stack.requester();
    const headers = { authorization: await stack.bearer('bulk') };
    const bodies = await Promise.all(
      Array.from({ length: 10 }, () =>
        client.request<Data>('api/v1/slow/work', {}, { headers }).then((r) => r.body),
      ),
    );
    expect(most).toBe(2);
    const outcomes = bodies.map((b) => b['error']?.reason ?? b['status']);
    // Some waited for a slot and were served; the queue is twice the limit, and a wait
    // lasts at most a second, so the others were refused.
    expect(outcomes.filter((o) => o === 'success').length).toBeGreaterThan(2);
    expect(outcomes.filter((o) => o === 'service_at_limit').length).toBeGreaterThan(0);
    expect(outcomes.every((o) => o === 'success' || o === 'service_at_limit')).toBe(true);
  });
});

describe('shutdown is bounded', () => {
  let stack: Stack;
  let upstream: TestUpstream;

  beforeAll(async () => {
    // A service that never answers: requests hang in the gateway until shut down.
    upstream = await TestUpstream.start(() => undefined);
    stack = await Stack.start({
      name: 'admit-shutdown',
      noServices: true,
      gatewayEnv: {
        SERVICES: `user-service=${upstream.url}`,
        SHUTDOWN_GRACE_MS: '2000',
        UPSTREAM_TIMEOUT_MS: '60000',
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await upstream?.stop();
  });

  it('ends on SIGTERM under load while the broker stops at the same moment', async () => {
    const client = await rawClient(stack.mqttUrl);
    const headers = { authorization: await stack.bearer('busy') };
    for (let i = 0; i < 200; i++) {
      client.publish('api/v1/users/list', '{}', {
        qos: 1,
        properties: { responseTopic: 'replies/busy/x', userProperties: headers },
      });
    }
    await waitFor('requests to hang at the service', async () => upstream.requests.length >= 50);
    const gateway = stack.gateways[0].process;
    gateway.child.kill('SIGTERM');
    await stack.broker.stop();
    // The grace is 2 s; the process must be gone well before this wait gives up, which a
    // stop waiting on an absent broker or a hung service never was.
    await waitFor('the gateway to exit', async () => !gateway.running, 15_000);
    expect(gateway.running).toBe(false);
    await client.endAsync(true).catch(() => undefined);
  });
});
