import { InMemoryKvStore } from '@mqgw/store';
import type { Reply } from '@mqgw/contracts';
import { readGatewayConfig } from '../gateway.config';
import { LOG_CAP, metricsKeys } from './metrics.keys';
import { PrometheusMetrics } from './prometheus.metrics';
import { RequestRecorder } from './request-recorder';

describe('RequestRecorder', () => {
  it('keeps the newest LOG_CAP log entries of a burst and counts every request', async () => {
    const kv = new InMemoryKvStore();
    const config = readGatewayConfig({ JWT_SECRET: 'x'.repeat(32) });
    const recorder = new RequestRecorder(kv, config.observability, new PrometheusMetrics());
    const burst = LOG_CAP * 2 + 500;
    for (let i = 0; i < burst; i++) {
      const reply = { status: 'error', status_code: 400, request_id: `r${i}` } as const;
      recorder.completed(undefined, `api/v1/t${i}`, {
        ...reply,
        error: { code: 'BAD_REQUEST', message: 'no' },
      } as Reply);
    }
    await recorder.flush();
    const logs = await kv.listRange(metricsKeys.requestLogs, 0, -1);
    expect(logs).toHaveLength(LOG_CAP);
    const ids = logs.map((l) => JSON.parse(l).request_id);
    expect(ids).toContain(`r${burst - 1}`);
    expect(ids).toContain(`r${burst - LOG_CAP}`);
    expect(ids).not.toContain(`r${burst - LOG_CAP - 1}`);
    expect(await kv.hashGetAll(metricsKeys.gateway)).toMatchObject({
      total_requests: String(burst),
    });
  });

  it('clips the messages and topics it logs, so twenty echoed 95 KB errors stay small', async () => {
    const kv = new InMemoryKvStore();
    const config = readGatewayConfig({ JWT_SECRET: 'x'.repeat(32) });
    const recorder = new RequestRecorder(kv, config.observability, new PrometheusMetrics());
    const echoed = `property ${'a'.repeat(95_000)} should not exist`;
    for (let i = 0; i < 20; i++) {
      recorder.completed(undefined, `api/v1/${'t'.repeat(60_000)}`, {
        status: 'error',
        status_code: 400,
        request_id: `r${i}`,
        error: { code: 'BAD_REQUEST', message: `${echoed}; ${echoed}` },
      } as Reply);
    }
    recorder.dropped('unsafe_response_topic', 'x'.repeat(60_000), `replies/${'y'.repeat(60_000)}`);
    await recorder.flush();
    const lists = [metricsKeys.requestLogs, metricsKeys.responseLogs, metricsKeys.errorLogs];
    for (const key of lists) {
      for (const entry of await kv.listRange(key, 0, -1)) {
        expect(Buffer.byteLength(entry)).toBeLessThan(1500);
      }
    }
    const errors = (await kv.listRange(metricsKeys.errorLogs, 0, -1)).map((e) => JSON.parse(e));
    expect(errors).toHaveLength(21);
    expect(errors[1].error).toMatch(/clipped from 190054 characters/);
  });
});

describe('RequestRecorder under a flood of drops', () => {
  it('counts every drop but logs one entry per reason and second, so real errors stay on the dashboard', async () => {
    const kv = new InMemoryKvStore();
    const config = readGatewayConfig({ JWT_SECRET: 'x'.repeat(32) });
    const recorder = new RequestRecorder(kv, config.observability, new PrometheusMetrics());
    recorder.completed(undefined, 'api/v1/orders/get/1', {
      status: 'error',
      status_code: 502,
      request_id: 'real',
      error: { code: 'UPSTREAM_ERROR', message: 'the service failed' },
    } as Reply);
    for (let i = 0; i < LOG_CAP * 2; i++) {
      recorder.dropped('reply_limited', 'api/v1/users/list');
      recorder.dropped('unauthenticated_reply', 'api/v1/users/list');
    }
    await recorder.flush();
    const errors = (await kv.listRange(metricsKeys.errorLogs, 0, -1)).map((e) => JSON.parse(e));
    expect(errors.map((e) => e.request_id ?? e.error).sort()).toEqual(
      ['real', 'reply_limited', 'unauthenticated_reply'].sort(),
    );
    expect(await kv.hashGetAll(metricsKeys.gateway)).toMatchObject({
      dropped_requests: String(LOG_CAP * 4),
    });
  });
});
