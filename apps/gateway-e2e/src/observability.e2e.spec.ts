import type { ErrorReply } from '@mqgw/contracts';
import { parsePrometheus } from './support/prometheus';
import { Stack } from './support/stack';
import { waitFor } from './support/processes';

type Data = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('metrics and logs after a known sequence of requests', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await Stack.start({
      name: 'observability',
      services: ['user-service'],
      gatewayEnv: { RATE_LIMIT_MAX: '6', LOG_LEVEL: 'debug' },
    });
  });
  afterAll(() => stack?.stop());

  it('counts exactly what was sent, in gateway/metrics, the Redis logs and GET /metrics', async () => {
    const client = await stack.requester();
    const headers = { authorization: await stack.bearer('m') };
    const ids: string[] = [];
    const send = async (topic: string, raw?: string) => {
      const reply = await client.request<Data>(topic, {}, { headers, raw });
      ids.push(reply.body['request_id']);
      return reply.body;
    };
    for (let i = 0; i < 3; i++) expect((await send('api/v1/users/list'))['status']).toBe('success');
    expect((await send('api/v1/users/get/nope'))['error'].code).toBe('NOT_FOUND');
    expect((await send('api/v1/users/create', '{bad'))['error'].code).toBe('BAD_REQUEST');
    for (let i = 0; i < 2; i++) expect((await send('api/v1/users/list'))['status']).toBe('success');
    for (let i = 0; i < 2; i++)
      expect(((await send('api/v1/users/list')) as ErrorReply).error.code).toBe('RATE_LIMITED');
    await sleep(300);

    const metrics = (await client.request<Data>('gateway/metrics')).body;
    expect(metrics['gateway']).toEqual({
      total_requests: 9,
      successful_requests: 5,
      failed_requests: 4,
      success_rate: 55.56,
      rate_limit_hits: 2,
    });
    const users = metrics['services']['user-service'];
    expect(users).toMatchObject({ total_requests: 6, errors: 1, error_rate: 16.67 });
    expect(users.avg_response_time).toBeGreaterThan(0);
    expect(users.p50_response_time).toBeGreaterThan(0);
    expect(users.p99_response_time).toBeGreaterThanOrEqual(users.p50_response_time);

    const redis = stack.redis.redis;
    const requestLogs = (await redis.lrange(`${stack.prefix}gateway:request_logs`, 0, -1)).map(
      (l) => JSON.parse(l),
    );
    const errorLogs = (await redis.lrange(`${stack.prefix}gateway:error_logs`, 0, -1)).map((l) =>
      JSON.parse(l),
    );
    const responseLogs = await redis.llen(`${stack.prefix}gateway:response_logs`);
    expect(requestLogs.map((l) => l.request_id).sort()).toEqual([...ids].sort());
    expect(responseLogs).toBe(9);
    expect(errorLogs.map((l) => l.code).sort()).toEqual([
      'BAD_REQUEST',
      'NOT_FOUND',
      'RATE_LIMITED',
      'RATE_LIMITED',
    ]);

    const res = await fetch(`${stack.gateways[0].httpUrl}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const samples = parsePrometheus(await res.text());
    expect(samples.get('mqgw_requests_total{route="api/v1/users/list",outcome="success"}')).toBe(5);
    expect(
      samples.get('mqgw_requests_total{route="api/v1/users/list",outcome="RATE_LIMITED"}'),
    ).toBe(2);
    expect(
      samples.get('mqgw_requests_total{route="api/v1/users/get/{user_id}",outcome="NOT_FOUND"}'),
    ).toBe(1);
    expect(
      samples.get(
        'mqgw_request_duration_seconds_count{service="user-service",route="api/v1/users/list",outcome="success"}',
      ),
    ).toBe(5);
    expect([...samples.keys()].some((k) => k.includes('nope'))).toBe(false);
    expect(samples.get('mqgw_inflight_requests')).toBe(0);
  });

  it('writes JSON log lines that carry the request id', async () => {
    const client = await stack.requester();
    const reply = await client.request<ErrorReply>(
      'api/v1/users/list',
      {},
      { headers: { authorization: 'Bearer x.y.z' } },
    );
    expect(reply.body.error.code).toBe('UNAUTHORIZED');
    const { readFileSync } = await import('node:fs');
    const refusal = () =>
      readFileSync(stack.gateways[0].process.logFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Data)
        .find((l) => l['context'] === 'Auth' && l['request_id'] === reply.body.request_id);
    await waitFor('the refusal to be logged', async () => refusal() !== undefined);
    // At warn, with the kind of failure, and never the token.
    expect(refusal()).toEqual({
      level: 'warn',
      time: expect.any(String),
      app: 'gateway',
      context: 'Auth',
      request_id: reply.body.request_id,
      msg: 'refused (malformed token) on api/v1/users/list',
    });
  });
});
