import { InMemoryKvStore } from '@mqgw/store';
import { parseRoutesFile, RouteMatcher } from '@mqgw/routes';
import { classifyFailure } from '@mqgw/contracts';
import { readGatewayConfig } from '../gateway.config';
import { ContractViolations } from '../observability/contract-violations';
import { metricsKeys } from '../observability/metrics.keys';
import { PrometheusMetrics } from '../observability/prometheus.metrics';
import { RequestRecorder } from '../observability/request-recorder';
import { GatewayRequest } from '../request/gateway-request';
import { ReplyContract } from './reply-contract';

const table = parseRoutesFile(
  `
services:
  things:
groups:
  - prefix: api
    steps: [auth]
    routes:
      - { topic: 'off/{id}', qos: 1, service: things, method: GET, path: /a, reply: { type: object, required: [id] } }
      - { topic: 'warn/{id}', qos: 1, service: things, method: GET, path: /b, replyValidation: warn, reply: { type: object, required: [id] } }
      - { topic: 'enforce/{id}', qos: 1, service: things, method: GET, path: /c, replyValidation: enforce, reply: { type: object, required: [id] } }
`,
  'routes.yaml',
);

describe('ReplyContract', () => {
  const kv = new InMemoryKvStore();
  const metrics = new PrometheusMetrics();
  const recorder = new RequestRecorder(
    kv,
    readGatewayConfig({ JWT_SECRET: 'x'.repeat(32) }).observability,
    metrics,
  );
  const contract = new ReplyContract(new ContractViolations(recorder, metrics));
  const matcher = new RouteMatcher(table.routes);
  const check = (topic: string, data: unknown) => {
    const { route, params } = matcher.match(topic)!;
    contract.check(
      new GatewayRequest('r', topic, route, params, {}, performance.now(), { body: { value: {} } }),
      'things',
      data,
    );
  };
  const counted = async (route: string) =>
    (await metrics.contractViolations.get()).values.find(
      (v) => v.labels['route'] === route && v.labels['kind'] === 'reply',
    )?.value ?? 0;

  it('lets a reply that keeps the contract through, whatever the mode', () => {
    for (const mode of ['off', 'warn', 'enforce'])
      expect(() => check(`api/${mode}/1`, { id: 1 })).not.toThrow();
  });

  it('checks nothing when reply validation is off', async () => {
    check('api/off/1', { nope: true });
    expect(await counted('api/off/{id}')).toBe(0);
  });

  it('counts a broken reply and lets it through with warn', async () => {
    check('api/warn/1', { nope: true });
    check('api/warn/1', 'text');
    expect(await counted('api/warn/{id}')).toBe(2);
    await recorder.flush();
    expect((await kv.hashGetAll(metricsKeys.routes))['api/warn/{id}|reply_violations']).toBe('2');
  });

  it('refuses a broken reply with enforce: UPSTREAM_ERROR, reason contract, no data of the service', async () => {
    let error: unknown;
    try {
      check('api/enforce/1', { secret: 'internal' });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toMatchObject({
      code: 'UPSTREAM_ERROR',
      statusCode: 502,
      message: 'things answered outside its contract',
      details: { reason: 'contract' },
    });
    expect(JSON.stringify((error as { details: unknown }).details)).not.toContain('secret');
    // Not the caller's fault, and no reason to open the service's circuit or retry.
    expect(classifyFailure(error)).toMatchObject({
      callerFault: false,
      serviceFailure: false,
      retry: 'never',
    });
    expect(await counted('api/enforce/{id}')).toBe(1);
  });
});
