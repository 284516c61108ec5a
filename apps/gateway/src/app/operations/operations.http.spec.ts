import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { MQTT_URL, uniqueTestId } from '@mqgw/testing';
import { routeTableOf } from '@mqgw/routes';
import { AppModule } from '../app.module';
import { readGatewayConfig } from '../gateway.config';
import { MqttRequestServer } from '../transport/mqtt-request.server';

/**
 * The gateway's HTTP side in this process on the real Mosquitto, with no Redis configured:
 * what a newcomer's `npm start` serves.
 */
describe('operations over HTTP, without Redis', () => {
  let app: INestApplication;
  let base: string;
  const prefix = uniqueTestId('ops').replace(/[^a-z0-9-]/gi, '');

  beforeAll(async () => {
    const table = routeTableOf(
      [
        {
          group: { prefix, steps: [] },
          topic: 'items',
          qos: 1,
          handler: 'proxy',
          service: 'inventory',
          method: 'GET',
          upstreamPath: '/items',
        },
      ],
      'ops',
    );
    const config = readGatewayConfig({
      MQTT_URL,
      MQTT_CLIENT_ID: prefix.slice(0, 60),
      MQTT_SESSION_EXPIRY_SECONDS: '0',
      JWT_SECRET: 'x'.repeat(32),
      // Nothing listens there: the instance is known, and reported, before any check.
      SERVICES: 'inventory=http://127.0.0.1:9',
      HEALTH_CHECK_INTERVAL_SECONDS: '3600',
      LOG_LEVEL: 'silent',
    });
    app = await NestFactory.create(AppModule.forRoot(config, table), { logger: false });
    app.connectMicroservice({ strategy: app.get(MqttRequestServer) });
    await app.startAllMicroservices();
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await app?.close();
  });

  it('says Redis is not configured on /health/ready, rather than up', async () => {
    const reply = await fetch(`${base}/health/ready`);
    expect(reply.status).toBe(200);
    const body = (await reply.json()) as Record<string, Record<string, unknown>>;
    expect(body['details']).toEqual({
      mqtt: { status: 'up' },
      redis: { status: 'none', message: 'not configured' },
    });
    expect(body['info']?.['redis']).toEqual({ status: 'none', message: 'not configured' });
  });

  it('answers /favicon.ico with 204, so a browser logs no error', async () => {
    const reply = await fetch(`${base}/favicon.ico`);
    expect(reply.status).toBe(204);
    expect(await reply.text()).toBe('');
  });

  it('exports each service instance’s health and load on /metrics', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    const up = text.split('\n').filter((line) => line.startsWith('mqgw_service_instance_up{'));
    expect(up).toHaveLength(1);
    expect(up[0]).toMatch(
      /^mqgw_service_instance_up\{service="inventory",instance_id="[^"]+",url="http:\/\/127\.0\.0\.1:9"\} 1$/,
    );
    expect(text).toMatch(
      /^mqgw_service_instance_outstanding\{service="inventory",instance_id="[^"]+"\} 0$/m,
    );
    expect(text).toMatch(/^mqgw_inflight_requests 0$/m);
  });
});
