import { InMemoryKvStore } from '@mqgw/store';
import { GatewayRequest } from '../../request/gateway-request';
import { RouteMatcher, compileRoutes, type RouteDefinition } from '@mqgw/routes';
import { readGatewayConfig } from '../../gateway.config';
import { ContractViolations } from '../../observability/contract-violations';
import { metricsKeys } from '../../observability/metrics.keys';
import { PrometheusMetrics } from '../../observability/prometheus.metrics';
import { RequestRecorder } from '../../observability/request-recorder';
import { ALL_STEPS, contextFor, requestFor } from '../testing/pipeline.fixtures';
import { ValidationGuard } from './validation.guard';

const ROUTES: RouteDefinition[] = [
  {
    group: ALL_STEPS,
    topic: 'users/create',
    qos: 1,
    handler: 'proxy',
    service: 'svc',
    method: 'POST',
    upstreamPath: '/users',
    request: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'email'],
      properties: {
        name: { type: 'string', maxLength: 10 },
        email: { type: 'string', format: 'email' },
      },
    },
  },
];

describe('ValidationGuard', () => {
  const kv = new InMemoryKvStore();
  const metrics = new PrometheusMetrics();
  const recorder = new RequestRecorder(
    kv,
    readGatewayConfig({ JWT_SECRET: 'x'.repeat(32) }).observability,
    metrics,
  );
  const guard = new ValidationGuard(new ContractViolations(recorder, metrics));
  const matcher = new RouteMatcher(compileRoutes(ROUTES));
  const checkSource = (source: ConstructorParameters<typeof GatewayRequest>[6]['body']) => {
    const { route, params } = matcher.match('t/users/create')!;
    const req = new GatewayRequest('r', 't/users/create', route, params, {}, performance.now(), {
      body: source,
    });
    return guard.canActivate(contextFor(req));
  };
  const check = (body: unknown) => checkSource({ value: body });
  const refused = async () =>
    (await metrics.contractViolations.get()).values.find(
      (v) => v.labels['route'] === 't/users/create' && v.labels['kind'] === 'request',
    )?.value ?? 0;

  it('lets a body that matches the schema through', () => {
    expect(check({ name: 'Ada', email: 'ada@example.com' })).toBe(true);
  });

  it('refuses a body that breaks it with BAD_REQUEST, each violation a pointer and a message', async () => {
    const before = await refused();
    let error: unknown;
    try {
      check({ name: 'Ada Lovelace!', email: 'nope', role: 'admin' });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toMatchObject({
      code: 'BAD_REQUEST',
      statusCode: 400,
      reason: 'invalid_request',
      message: 'the body does not match the request schema: /role is not allowed (and 2 more)',
      details: {
        violations: [
          { pointer: '/role', message: 'is not allowed' },
          { pointer: '/name', message: 'must NOT have more than 10 characters' },
          { pointer: '/email', message: 'must match format "email"' },
        ],
      },
    });
    expect(await refused()).toBe(before + 1);
    await recorder.flush();
    expect(await kv.hashGetAll(metricsKeys.routes)).toMatchObject({
      't/users/create|request_violations': '1',
    });
  });

  it('decodes the body first: what is not a JSON object is refused before any schema', () => {
    expect(() => check([])).toThrow(
      expect.objectContaining({ code: 'BAD_REQUEST', message: 'payload must be a JSON object' }),
    );
    expect(() => checkSource({ raw: Buffer.from('{"name":'), maxBytes: 1000 })).toThrow(
      expect.objectContaining({ code: 'BAD_REQUEST', message: 'payload is not valid JSON' }),
    );
    expect(() => checkSource({ raw: Buffer.from('{}'), maxBytes: 1 })).toThrow(
      expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE' }),
    );
  });

  it('only decodes on a route without a request schema', () => {
    const req = requestFor('t/write', {}, { body: { value: { anything: [1, 2, 3] } } });
    expect(req.route.steps.has('validate')).toBe(true);
    expect(guard.canActivate(contextFor(req))).toBe(true);
  });
});
