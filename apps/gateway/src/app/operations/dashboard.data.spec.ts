import { InMemoryCircuitBreaker } from '@mqgw/breaker';
import { InMemoryServiceRegistry, InstanceDirectory, staticInstance } from '@mqgw/discovery';
import { routeTableOf } from '@mqgw/routes';
import { InMemoryKvStore, type KvStore } from '@mqgw/store';
import type { CommandsService } from '../commands/commands.service';
import { COMMAND_STATS_KEY } from '../commands/commands.service';
import { DevicePresence } from '../commands/device-presence';
import { AdmissionControl } from '../pipeline/guards/admission-control';
import { ServiceLimits } from '../pipeline/interceptors/service-limits';
import { TEST_ROUTES, pipelineConfig } from '../pipeline/testing/pipeline.fixtures';
import { metricsKeys, trafficWindow } from '../observability/metrics.keys';
import { ActiveRoutes } from '../routing/active-routes';
import type { StateConfig } from '../state/state.config';
import type { MqttRequestServer } from '../transport/mqtt-request.server';
import type { TransportConfig } from '../transport/transport.config';
import type { UpstreamService } from '../upstream/upstream.service';
import { DashboardData } from './dashboard.data';
import { HealthReporter } from './health.reporter';

describe('DashboardData', () => {
  const table = routeTableOf(TEST_ROUTES);
  const service = table.routes.find((r) => r.service)!.service!;
  const template = table.routes.find((r) => r.service)!.template;

  const presence = new DevicePresence(10);
  presence.update('sensor-8', 'offline', 4, 1000);
  presence.update('sensor-7', 'online', 5, 2000);

  const build = (kv: KvStore) => {
    const routes = new ActiveRoutes(table, { file: 'test' });
    const directory = new InstanceDirectory(new InMemoryServiceRegistry(), {
      refreshMs: 60_000,
      staticInstances: [staticInstance(service, 'http://127.0.0.1:9', 's-1')],
    });
    const breaker = new InMemoryCircuitBreaker({
      failureThreshold: 1,
      recoveryMs: 60_000,
      halfOpenProbes: 1,
    });
    const data = new DashboardData(
      kv,
      breaker,
      { redis: { kind: 'url', url: 'redis://x' }, breaker: { recoveryMs: 60_000 } } as StateConfig,
      { clientId: 'gw-test' } as TransportConfig,
      routes,
      directory,
      { outstandingTo: () => 3 } as unknown as UpstreamService,
      { inflightCount: 1 } as MqttRequestServer,
      new HealthReporter(kv, directory, routes, { redis: { kind: 'url', url: 'redis://x' } }),
      new AdmissionControl(pipelineConfig()),
      new ServiceLimits(routes),
      { enabled: true, presence } as unknown as CommandsService,
    );
    return { data, breaker };
  };

  it('joins the route table with the shared counts, breakers, traffic and errors', async () => {
    const kv = new InMemoryKvStore();
    const now = Date.now();
    await kv.hashIncrement(metricsKeys.routes, `${template}|requests`, 4);
    await kv.hashIncrement(metricsKeys.routes, `${template}|errors`, 1);
    await kv.hashIncrement(metricsKeys.traffic(trafficWindow(now)), 'requests', 10);
    await kv.hashIncrement(metricsKeys.errors, 'NOT_FOUND', 1);
    await kv.hashIncrement(metricsKeys.refusals, 'overloaded', 7);
    await kv.listPushCapped(
      metricsKeys.errorLogs,
      [
        JSON.stringify({
          request_id: 'r1',
          trace_id: `${'a'.repeat(32)}${'x'.repeat(100)}`,
          topic: template,
          code: 'NOT_FOUND',
          error: 'gone',
          timestamp: 1,
        }),
      ],
      10,
    );
    await kv.hashIncrement(COMMAND_STATS_KEY, 'answered', 2);
    const { data, breaker } = build(kv);
    await breaker.record(service, false, { allowed: true, probe: false });
    const snap = await data.snapshot(now);
    expect(snap.problems).toEqual([]);
    expect(snap.routes.find((r) => r.topic === template)).toMatchObject({
      requests: 4,
      errors: 1,
      error_rate: 25,
    });
    expect(snap.breakers.find((b) => b.service === service)).toMatchObject({ state: 'open' });
    expect(snap.services.find((s) => s.name === service)?.instances[0]).toMatchObject({
      url: 'http://127.0.0.1:9',
      outstanding: 3,
    });
    expect(snap.traffic.series.at(-1)!.rps).toBeGreaterThan(0);
    expect(snap.traffic.errors_by_code).toEqual({ NOT_FOUND: 1 });
    expect(snap.admission).toMatchObject({
      inflight: 0,
      limit: expect.any(Number),
      refused_by_reason: { overloaded: 7 },
    });
    expect(snap.recent_errors).toEqual([
      {
        time: 1,
        request_id: 'r1',
        trace_id: 'a'.repeat(32),
        topic: template,
        code: 'NOT_FOUND',
        message: 'gone',
      },
    ]);
    expect(snap.served_by).toMatchObject({ instance: 'gw-test', inflight: 1 });
    expect(snap.commands).toEqual({
      enabled: true,
      by_outcome: { answered: 2 },
      devices_online: 1,
      devices_known: 2,
      devices: [
        { name: 'sensor-7', status: 'online', protocol: 'MQTT 5', since: 2 },
        { name: 'sensor-8', status: 'offline', protocol: 'MQTT 3.1.1', since: 1 },
      ],
    });
  });

  it('keeps a snapshot small when services echo what callers sent into their errors', async () => {
    // The numbers: twenty 400s echoing a ~95 KB property name made one snapshot
    // 870 KB. Written raw here, as an instance without clipping would have written them.
    const kv = new InMemoryKvStore();
    const echoed = `property ${'a'.repeat(95_000)} should not exist`;
    const entries = Array.from({ length: 20 }, (_, i) =>
      JSON.stringify({
        request_id: `r${i}`,
        topic: `api/v1/${'t'.repeat(60_000)}`,
        code: 'BAD_REQUEST',
        error: `${echoed}; ${echoed}`,
        timestamp: i,
      }),
    );
    await kv.listPushCapped(metricsKeys.errorLogs, entries, 100);
    const snap = await build(kv).data.snapshot();
    expect(snap.recent_errors).toHaveLength(20);
    expect(snap.recent_errors[0].message).toMatch(
      /^property a+… \(clipped from 190054 characters\)$/,
    );
    expect(Buffer.byteLength(JSON.stringify(snap))).toBeLessThan(40_000);
  });

  it('keeps answering while Redis is down, and says so', async () => {
    const down = new Proxy(new InMemoryKvStore(), {
      get: (target, name) =>
        typeof (target as never)[name] === 'function'
          ? () => Promise.reject(new Error('connection refused'))
          : (target as never)[name],
    }) as KvStore;
    const snap = await build(down).data.snapshot();
    expect(snap.redis).toBe('unhealthy');
    expect(snap.problems[0]).toMatch(/^Redis does not answer/);
    expect(snap.routes.length).toBe(table.routes.length);
    expect(snap.recent_errors).toEqual([]);
  });
});
