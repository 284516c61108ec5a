import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  MQTT_URL,
  connectRequester,
  type MqttRequester,
  REDIS_URL,
  openTestRedis,
  uniqueTestId,
  type TestRedis,
} from '@mqgw/testing';
import { AppModule } from './app.module';
import { readGatewayConfig } from './gateway.config';
import { routeTableOf, type RouteDefinition } from '@mqgw/routes';
import { MqttRequestServer } from './transport/mqtt-request.server';

/**
 * The gateway in this process on the real Mosquitto and Redis, with a route table of the
 * test's own under a unique prefix, so no other gateway on the broker answers it.
 */
describe('gateway in-process (real Mosquitto and Redis)', () => {
  let app: INestApplication;
  let redis: TestRedis;
  let upstream: Server;
  let client: MqttRequester;
  const prefix = uniqueTestId('it').replace(/[^a-z0-9-]/gi, '');

  beforeAll(async () => {
    redis = await openTestRedis('it');
    upstream = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      setTimeout(() => res.end('{"ok":true}'), req.url === '/slow' ? 300 : 0);
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const group = { prefix, steps: ['forwardHeaders' as const] };
    const routes: RouteDefinition[] = [
      {
        group,
        topic: 'ok',
        qos: 1,
        handler: 'proxy',
        service: 'svc',
        method: 'POST',
        upstreamPath: '/ok',
      },
      {
        group,
        topic: 'slow',
        qos: 1,
        handler: 'proxy',
        service: 'svc',
        method: 'POST',
        upstreamPath: '/slow',
      },
      {
        group,
        topic: 'broken',
        qos: 1,
        handler: 'proxy',
        service: 'svc',
        method: 'POST',
        upstreamPath: '/ok',
      },
    ];
    const table = routeTableOf(routes, 'integration');
    // A bug in the gateway, as a body rewrite that throws: no detail may leave the process.
    table.routes.find((r) => r.template.endsWith('/broken'))!.transformBody = () => {
      throw new Error('secret detail at /srv/app/src/thing.ts:12');
    };
    const config = readGatewayConfig({
      MQTT_URL,
      REDIS_URL,
      REDIS_KEY_PREFIX: redis.prefix,
      MQTT_CLIENT_ID: prefix.slice(0, 60),
      MQTT_SESSION_EXPIRY_SECONDS: '0',
      JWT_SECRET: 'x'.repeat(32),
      SERVICES: `svc=${url}`,
      LOG_LEVEL: 'silent',
    });
    app = await NestFactory.create(AppModule.forRoot(config, table), { logger: false });
    app.connectMicroservice({ strategy: app.get(MqttRequestServer) });
    await app.startAllMicroservices();
    await app.init();
    client = await connectRequester();
  });

  afterAll(async () => {
    await client?.close();
    if (app?.get(MqttRequestServer).connected) await app.close();
    await new Promise((r) => upstream?.close(r));
    await redis?.close();
  });

  it('proxies through the Nest pipeline', async () => {
    const reply = await client.request(`${prefix}/ok`, {});
    expect(reply.body).toMatchObject({ status: 'success', service: 'svc', data: { ok: true } });
  });

  it('turns an unexpected exception into INTERNAL_ERROR without leaking it', async () => {
    const reply = await client.request(`${prefix}/broken`, {});
    expect(reply.body).toEqual({
      status: 'error',
      status_code: 500,
      error: { code: 'INTERNAL_ERROR', message: 'internal error' },
      request_id: expect.any(String),
    });
    expect(JSON.stringify(reply.body)).not.toContain('secret');
  });

  it('answers the requests in flight when it shuts down, then takes no more', async () => {
    const transport = app.get(MqttRequestServer);
    const slow = client.request(`${prefix}/slow`, {});
    while (transport.inflightCount === 0) await new Promise((r) => setTimeout(r, 5));
    const closing = app.close();
    expect((await slow).body).toMatchObject({ status: 'success' });
    await closing;
    expect(transport.connected).toBe(false);
    await expect(client.request(`${prefix}/ok`, {}, { timeoutMs: 500 })).rejects.toThrow(
      'no reply',
    );
  });
});
