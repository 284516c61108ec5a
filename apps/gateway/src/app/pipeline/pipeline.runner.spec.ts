import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication, INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { MessageHandler } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { mintDevToken } from '@mqgw/auth/testing';
import { toErrorReply } from '@mqgw/contracts';
import { AppModule } from '../app.module';
import { readGatewayConfig } from '../gateway.config';
import { GatewayRequest } from '../request/gateway-request';
import { HANDLER, routeTableOf, type RouteMatcher } from '@mqgw/routes';
import { ActiveRoutes } from '../routing/active-routes';
import { MqttRequestServer } from '../transport/mqtt-request.server';
import { PipelineRunner } from './pipeline.runner';
import { TEST_ROUTES } from './testing/pipeline.fixtures';

const SECRET = 'runner-spec-secret-0123456789abcdef';

/**
 * The runner against Nest's own dispatch of the same handler, with the guards, interceptors
 * and filter `@UsePipeline()` puts on it: both give the same replies, failures included.
 */
describe('PipelineRunner and Nest dispatch', () => {
  let app: INestApplication;
  let microservice: INestMicroservice;
  let upstream: Server;
  let failing = false;
  let upstreamCalls = 0;
  let runner: PipelineRunner;
  let nestProxy: MessageHandler;
  let matcher: RouteMatcher;
  let requestIds = 0;

  const request = (topic: string, headers: Record<string, string>, body: object) => {
    const match = matcher.match(topic)!;
    return new GatewayRequest(
      `req-${++requestIds}`,
      topic,
      match.route,
      match.params,
      headers,
      performance.now(),
      { body: { value: body } },
    );
  };
  const viaRunner = async (topic: string, headers: Record<string, string>, body = {}) => {
    const req = request(topic, headers, body);
    try {
      return normalise(await runner.run(req));
    } catch (error) {
      return normalise(toErrorReply(error, req.requestId));
    }
  };
  const viaNest = async (topic: string, headers: Record<string, string>, body = {}) => {
    const req = request(topic, headers, body);
    const server = app.get(MqttRequestServer);
    return normalise(await lastValueFrom(server.transformToObservable(await nestProxy(body, req))));
  };
  /**
   * Both paths, each as a principal of its own (per test), so that their limits and caches
   * do not meet.
   */
  let tag = 0;
  beforeEach(() => tag++);
  const both = async (
    topic: string,
    headers: (who: string) => Promise<Record<string, string>>,
    body = {},
  ) => [
    await viaRunner(topic, await headers(`runner${tag}`), body),
    await viaNest(topic, await headers(`nest${tag}`), body),
  ];
  const bearer =
    (scopes: string[] = [], extra: Record<string, string> = {}) =>
    async (who: string) => ({
      authorization: `Bearer ${await mintDevToken({ secret: SECRET, sub: who, scopes })}`,
      ...extra,
    });

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      upstreamCalls++;
      req.resume();
      res.setHeader('content-type', 'application/json');
      if (failing) {
        res.statusCode = 500;
        res.end('{"message":"down"}');
      } else res.end(JSON.stringify({ path: req.url, user: req.headers['x-user-id'] }));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const config = readGatewayConfig({
      MQTT_URL: 'mqtt://127.0.0.1:1',
      JWT_SECRET: SECRET,
      SERVICES: `svc=http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
      RATE_LIMIT_MAX: '3',
      ALLOWED_ORIGINS: 'https://app.example',
      BREAKER_FAILURE_THRESHOLD: '2',
      HEALTH_CHECK_INTERVAL_SECONDS: '0',
      LOG_LEVEL: 'silent',
    });
    app = await NestFactory.create(AppModule.forRoot(config, routeTableOf(TEST_ROUTES)), {
      logger: false,
    });
    microservice = app.connectMicroservice({ strategy: app.get(MqttRequestServer) });
    await app.init();
    await microservice.init(); // registers Nest's handlers; nothing connects
    runner = app.get(PipelineRunner);
    matcher = app.get(ActiveRoutes).matcher;
    nestProxy = app.get(MqttRequestServer).getHandlerByPattern(HANDLER.proxy)!;
  });

  afterAll(async () => {
    await app?.close();
    await new Promise((r) => upstream?.close(r));
  });

  it('passes a good request through to the service, identity attached', async () => {
    const [runnerReply, nestReply] = await both('t/read/1', bearer());
    expect(runnerReply).toMatchObject({
      status: 'success',
      data: { path: '/r/1', user: `runner${tag}` },
    });
    expect(nestReply).toEqual({ ...runnerReply, data: { path: '/r/1', user: `nest${tag}` } });
  });

  it.each([
    ['no credentials', 't/write', async () => ({}), 'UNAUTHORIZED'],
    ['a missing scope', 't/admin', bearer(), 'FORBIDDEN'],
    ['a disallowed origin', 't/write', bearer([], { origin: 'https://x' }), 'FORBIDDEN'],
    [
      'a malformed idempotency key',
      't/write',
      bearer([], { 'idempotency-key': 'a b' }),
      'BAD_REQUEST',
    ],
  ] as const)('refuses %s alike', async (_what, topic, headers, code) => {
    const [runnerReply, nestReply] = await both(topic, headers);
    expect(nestReply).toEqual(runnerReply);
    if (code) expect(runnerReply).toMatchObject({ status: 'error', error: { code } });
  });

  it('rate-limits alike', async () => {
    const replies = [];
    for (let i = 0; i < 4; i++) replies.push(await both('t/write', bearer()));
    expect(replies.map(([r]) => r['status'])).toEqual(['success', 'success', 'success', 'error']);
    expect(replies.map(([, n]) => n['status'])).toEqual(['success', 'success', 'success', 'error']);
    expect(replies[3][1]).toEqual(replies[3][0]);
  });

  it('replays an idempotent duplicate alike, without calling the service again', async () => {
    const keyed = (key: string) => bearer([], { 'idempotency-key': key });
    const calls = upstreamCalls;
    const first = [
      await viaRunner('t/write', await keyed('k1')('runner-i')),
      await viaNest('t/write', await keyed('k2')('nest-i')),
    ];
    const again = [
      await viaRunner('t/write', await keyed('k1')('runner-i')),
      await viaNest('t/write', await keyed('k2')('nest-i')),
    ];
    expect(again).toEqual(first);
    expect(upstreamCalls - calls).toBe(2);
  });

  it('serves the stale copy, then opens the circuit, alike', async () => {
    await both('t/read/7', bearer());
    failing = true;
    try {
      const [runnerStale, nestStale] = await both('t/read/7', bearer());
      expect(runnerStale).toMatchObject({ status: 'success', source: 'cache' });
      expect(nestStale).toMatchObject({ status: 'success', source: 'cache' });
      // The breaker counted both stale-served failures: the circuit is open for everyone.
      const [runnerOpen, nestOpen] = await both('t/write', bearer());
      expect(runnerOpen).toMatchObject({ error: { code: 'SERVICE_UNAVAILABLE' } });
      expect(nestOpen).toEqual(runnerOpen);
    } finally {
      failing = false;
    }
  });
});

/** Replies without what differs by nature: timing and request ids. */
function normalise(reply: unknown): Record<string, unknown> {
  const { processing_time: _t, request_id: _r, ...rest } = reply as Record<string, unknown>;
  return rest;
}
