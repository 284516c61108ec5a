import { readFileSync } from 'node:fs';
import { SignJWT, UnsecuredJWT } from 'jose';
import type { ErrorReply } from '@mqgw/contracts';
import type { MqttRequester, RequestOptions } from '@mqgw/testing';
import { waitFor } from './support/processes';
import { scrape, total } from './support/prometheus';
import { Stack, TEST_JWT_SECRET } from './support/stack';
import { TestUpstream, echo } from './support/test-upstream';

type Data = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secret = new TextEncoder().encode(TEST_JWT_SECRET);

/** Resident memory of a process in MiB, from /proc. */
function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

const unsafeDrops = async (httpUrl: string) =>
  (await scrape(httpUrl)).get('mqgw_dropped_requests_total{reason="unsafe_response_topic"}') ?? 0;

/*
 * A hostile client through the real broker. Each case gets a clear error reply, or a
 * counted drop where no safe reply exists; the gateway stays up and its memory bounded.
 * (Mosquitto itself disconnects clients that put wildcards in a published topic or
 * control characters in any string, so those cases live in the transport's unit fuzzing.)
 */
describe('hostile input through the broker', () => {
  let stack: Stack;
  let upstream: TestUpstream;
  let auth: string;
  let client: MqttRequester;
  beforeAll(async () => {
    upstream = await TestUpstream.start(echo);
    stack = await Stack.start({
      name: 'hostile',
      noServices: true,
      gatewayEnv: { SERVICES: `user-service=${upstream.url}`, RATE_LIMIT_MAX: '100000' },
    });
    auth = await stack.bearer('hostile');
    client = await stack.requester();
  });
  afterAll(async () => {
    await stack?.stop();
    await upstream?.stop();
  });

  const ask = async (topic: string, options: RequestOptions = {}, body: unknown = {}) => {
    const headers = { authorization: auth, ...options.headers };
    return (await client.request<Data>(topic, body, { ...options, headers })).body;
  };

  it.each([
    ['a .. level', 'api/v1/users/get/..', 'path parameter user_id may not be . or ..'],
    [
      'a 60,000-character level',
      `api/v1/users/get/${'a'.repeat(60_000)}`,
      'path parameter user_id is longer than 256 characters',
    ],
  ])('topic with %s: BAD_REQUEST', async (_name, topic, message) => {
    expect((await ask(topic)).error).toEqual({ code: 'BAD_REQUEST', message });
  });

  it.each([
    ['%2F', '%252F'],
    ['$secret', '%24secret'],
    ['ユーザー', encodeURIComponent('ユーザー')],
  ])('topic level %s reaches the service as one encoded path segment', async (level, encoded) => {
    expect((await ask(`api/v1/users/get/${level}`))['data']).toMatchObject({
      url: `/users/${encoded}`,
    });
  });

  it.each([
    ['non-JSON', Buffer.from('{"name":'), 'payload is not valid JSON'],
    ['an array', Buffer.from('[1,2,3]'), 'payload must be a JSON object'],
    [
      'JSON nested 10,000 deep',
      Buffer.from(`{"a":${'['.repeat(10_000)}${']'.repeat(10_000)}}`),
      'payload is nested deeper than 64 levels',
    ],
    ['a huge number', Buffer.from('{"n":1e999}'), 'payload has a number outside the double range'],
    ['invalid UTF-8', Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), 'payload is not valid UTF-8'],
  ])('payload that is %s: BAD_REQUEST', async (_name, raw, message) => {
    expect((await ask('api/v1/users/create', { raw })).error).toEqual({
      code: 'BAD_REQUEST',
      message,
    });
  });

  it('a payload over the limit: PAYLOAD_TOO_LARGE, and the service never sees it', async () => {
    const before = upstream.requests.length;
    const raw = Buffer.from(JSON.stringify({ blob: 'x'.repeat(300 * 1024) }));
    expect((await ask('api/v1/users/create', { raw })).error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(upstream.requests.length).toBe(before);
  });

  it.each([
    ['a 9 KiB value', { 'x-big': 'v'.repeat(9 * 1024) }, 'user property x-big is too large'],
    [
      '65 properties',
      Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`x-p${i}`, 'v'])),
      'at most 64 user properties are allowed',
    ],
    ['a repeated name', { 'x-dup': ['a', 'b'] }, 'user property x-dup is repeated'],
  ])('user properties with %s: BAD_REQUEST', async (_name, headers, message) => {
    expect((await ask('api/v1/users/list', { headers })).error).toEqual({
      code: 'BAD_REQUEST',
      message,
    });
  });

  it('echoes a 65,000-byte correlationData unchanged', async () => {
    const correlation = Buffer.alloc(65_000, 0x61);
    correlation.write('end', 64_997);
    const reply = new Promise<Data>((resolve) =>
      client.client.once('message', (_topic, _payload, packet) => resolve(packet)),
    );
    await client.client.publishAsync('api/v1/users/list', '{}', {
      qos: 1,
      properties: {
        responseTopic: `${client.replyPrefix}/big`,
        correlationData: correlation,
        userProperties: { authorization: auth },
      },
    });
    const packet = await reply;
    expect(Buffer.compare(packet['properties'].correlationData, correlation)).toBe(0);
  });

  it.each([
    ['the gateway’s own topic', 'api/v1/users/delete/1', 'loops_back'],
    ['a $SYS topic', '$SYS/broker/hijack', 'system_topic'],
  ])('a responseTopic on %s is dropped and counted, and nothing runs', async (_n, topic, why) => {
    const gateway = stack.gateways[0];
    const before = await unsafeDrops(gateway.httpUrl);
    const calls = upstream.requests.length;
    await client.publish(
      'api/v1/users/list',
      {},
      { responseTopic: topic, headers: { authorization: auth } },
    );
    await sleep(300);
    expect(await unsafeDrops(gateway.httpUrl)).toBe(before + 1);
    expect(readFileSync(gateway.process.logFile, 'utf8')).toContain(
      `reply topic is unsafe (${why})`,
    );
    expect(upstream.requests.length).toBe(calls);
    expect(gateway.process.running).toBe(true);
  });

  it.each([
    [
      'alg none',
      async () => new UnsecuredJWT({ sub: 'root' }).setExpirationTime('1h').encode(),
      'invalid token',
    ],
    [
      'an expired token',
      async () =>
        new SignJWT({ sub: 'late' })
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
          .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
          .sign(secret),
      'token expired',
    ],
    [
      'another secret',
      async () =>
        new SignJWT({ sub: 'forged' })
          .setProtectedHeader({ alg: 'HS256' })
          .setExpirationTime('1h')
          .sign(new TextEncoder().encode('z'.repeat(40))),
      'token signature does not verify',
    ],
    [
      'an algorithm that is not allowed',
      async () =>
        new SignJWT({ sub: 'confused' })
          .setProtectedHeader({ alg: 'HS512' })
          .setExpirationTime('1h')
          .sign(secret),
      'invalid token',
    ],
    ['garbage', async () => 'a.b.c', 'malformed token'],
    ['no token shape at all', async () => 'garbage', 'malformed token'],
  ])(
    'a bearer token with %s: UNAUTHORIZED, saying only what kind of failure',
    async (_name, token, message) => {
      const reply = (await ask('api/v1/users/list', {
        headers: { authorization: `Bearer ${await token()}` },
      })) as ErrorReply;
      expect(reply.error).toEqual({ code: 'UNAUTHORIZED', message });
    },
  );

  it('survives floods without responseTopic carrying 68 KB each, with memory flat across rounds', async () => {
    const gateway = stack.gateways[0];
    const pid = gateway.process.child.pid!;
    const blob = 'f'.repeat(60 * 1024);
    const perRound = 2000;
    const seen = (round: number) =>
      upstream.requests.filter((r) => r.url.startsWith(`/users/flood-${round}-`)).length;
    const replies = () => client.received.filter((r) => r.topic.startsWith(client.replyPrefix));
    const repliesBefore = replies().length;
    const rss: number[] = [];
    const refusedSoFar = async () =>
      total(await scrape(gateway.httpUrl), 'mqgw_refused_requests_total');
    for (let round = 0; round < 3; round++) {
      const refusedBefore = await refusedSoFar();
      for (let batch = 0; batch < perRound / 100; batch++) {
        await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            client.publish(
              `api/v1/users/get/flood-${round}-${batch * 100 + i}`,
              {},
              {
                responseTopic: null,
                headers: { authorization: auth, 'x-blob': blob.slice(0, 8000) },
                raw: `{"pad":"${blob}"}`,
              },
            ),
          ),
        );
      }
      // Fire-and-forget requests still run, or admission refuses them under the burst and
      // counts it: wait until every one of them is accounted for, and most of them ran.
      await waitFor(`round ${round} accounted for`, async () => {
        const refused = (await refusedSoFar()) - refusedBefore;
        return seen(round) + refused === perRound;
      });
      expect(seen(round)).toBeGreaterThan(perRound / 2);
      rss.push(rssMiB(pid));
    }
    // Each round moves 2000 × 68 KB (about 130 MiB) through the gateway. The first round
    // warms the heap up; holding on to requests would add that much again every round.
    expect(rss[2] - rss[0]).toBeLessThan(96);
    expect(replies()).toHaveLength(repliesBefore);
    expect(gateway.process.running).toBe(true);
    expect((await ask('api/v1/users/get/after-flood'))['status']).toBe('success');
  });
});
