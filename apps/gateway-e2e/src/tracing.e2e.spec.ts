import { parsePrometheus } from './support/prometheus';
import { OtlpReceiver, SPAN_KIND, type ReceivedSpan } from './support/otlp-receiver';
import { freePort, waitFor } from './support/processes';
import { Stack } from './support/stack';

type Data = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const TRACEPARENT = /^00-([\da-f]{32})-([\da-f]{16})-01$/;
const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';
const ROUTE = 'api/v1/users/list';

/** Fast exports, so the test waits less for the batches. */
const FAST_EXPORT = { OTEL_BSP_SCHEDULE_DELAY: '100' };

describe('OpenTelemetry traces from the client through the gateway to the service', () => {
  let stack: Stack;
  let receiver: OtlpReceiver;

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, ...FAST_EXPORT };
    stack = await Stack.start({ name: 'tracing', noServices: true, gatewayEnv: otel });
    await stack.startService('user-service', otel);
  });
  afterAll(async () => {
    await stack?.stop();
    await receiver?.stop();
  });

  /** The reply to a list request, and the trace its `traceparent` names. */
  async function list(headers: Record<string, string>) {
    const client = await stack.requester();
    const token = await stack.bearer('tracer');
    // Until the gateway's discovery has the service, the route answers SERVICE_UNAVAILABLE.
    let reply = await client.request<Data>(ROUTE, {}, { headers: { authorization: token } });
    await waitFor('the user service behind the gateway', async () => {
      reply = await client.request<Data>(ROUTE, {}, { headers: { authorization: token } });
      return reply.body['status'] === 'success';
    });
    reply = await client.request<Data>(
      ROUTE,
      {},
      { headers: { authorization: token, ...headers } },
    );
    expect(reply.body['status']).toBe('success');
    const traceparent = reply.packet.properties?.userProperties?.['traceparent'];
    expect(traceparent).toMatch(TRACEPARENT);
    const [, traceId, spanId] = TRACEPARENT.exec(String(traceparent))!;
    return { reply, traceId, spanId, token };
  }

  /** Waits until the trace holds the gateway's server span and the service's. */
  async function spansOf(traceId: string): Promise<ReceivedSpan[]> {
    await waitFor('the gateway and service spans at the receiver', async () => {
      const spans = receiver.trace(traceId);
      return (
        spans.some((s) => s.service === 'user-service' && s.kind === SPAN_KIND.server) &&
        spans.some((s) => s.service === 'mqgw-gateway' && s.kind === SPAN_KIND.server)
      );
    });
    return receiver.trace(traceId);
  }

  it('continues the client trace: gateway server span, upstream client span, service span, reply', async () => {
    const { traceId, spanId, token } = await list({
      traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`,
    });
    expect(traceId).toBe(CLIENT_TRACE);
    const spans = await spansOf(CLIENT_TRACE);

    const server = spans.find((s) => s.service === 'mqgw-gateway' && s.kind === SPAN_KIND.server)!;
    expect(server.parentSpanId).toBe(CLIENT_SPAN);
    expect(server.spanId).toBe(spanId); // the reply's traceparent names the gateway's span
    expect(server.name).toBe(ROUTE);
    expect(server.attributes).toMatchObject({
      'messaging.system': 'mqtt',
      'messaging.destination.template': ROUTE,
      'mqgw.mqtt.qos': 1,
      'mqgw.outcome': 'success',
      'mqgw.status_code': 200,
      'mqgw.service': 'user-service',
      'mqgw.principal.kind': 'user',
    });

    // The upstream call: an HTTP client span, whose id the service got as its parent.
    const attempt = spans.find((s) => s.kind === SPAN_KIND.client)!;
    expect(attempt.service).toBe('mqgw-gateway');
    expect(attempt.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.response.status_code': 200,
      'server.address': '127.0.0.1',
    });
    const service = spans.find((s) => s.service === 'user-service')!;
    expect(service.kind).toBe(SPAN_KIND.server);
    expect(service.parentSpanId).toBe(attempt.spanId);
    expect(service.name).toBe('GET /users');

    // The steps that wait on something of their own record an event on the server span, as
    // does the publish; the steps that take microseconds only when they refuse.
    expect(attempt.parentSpanId).toBe(server.spanId);
    const events = new Map(server.events.map((e) => [e.name, e.attributes]));
    // (A GET route runs no idempotency step.)
    const timed = ['auth', 'rateLimit', 'fallback', 'concurrency'];
    for (const name of [...timed.map((step) => `step ${step}`), 'publish reply']) {
      expect(events.get(name)?.['mqgw.duration_ms']).toEqual(expect.any(Number));
    }
    expect(server.events).toHaveLength(timed.length + 1);
    expect(events.get('step auth')).toMatchObject({
      'mqgw.principal.kind': 'user',
    });
    expect(events.get('publish reply')?.['mqgw.mqtt.qos']).toBe(1);

    // No credential or payload in any attribute.
    const everything = JSON.stringify(spans);
    expect(everything).not.toContain(token.replace('Bearer ', ''));
    expect(everything).not.toMatch(/authorization|Bearer/i);
  });

  it('starts one connected trace for a request without traceparent', async () => {
    const { traceId, spanId } = await list({});
    expect(traceId).not.toBe(CLIENT_TRACE);
    const spans = await spansOf(traceId);
    const server = spans.find((s) => s.service === 'mqgw-gateway' && s.kind === SPAN_KIND.server)!;
    expect(server.spanId).toBe(spanId);
    expect(server.parentSpanId).toBe('');
    const attempt = spans.find((s) => s.kind === SPAN_KIND.client)!;
    expect(spans.find((s) => s.service === 'user-service')!.parentSpanId).toBe(attempt.spanId);

    // The request-duration histogram keeps the trace id as an exemplar (OpenMetrics only).
    const metrics = (accept?: string) =>
      fetch(`${stack.gateways[0].httpUrl}/metrics`, { headers: accept ? { accept } : {} });
    await waitFor('the exemplar of the request', async () =>
      (await (await metrics('application/openmetrics-text; version=1.0.0')).text()).includes(
        `trace_id="${traceId}"`,
      ),
    );
    const plain = await metrics();
    expect(plain.headers.get('content-type')).toContain('text/plain');
    expect(await plain.text()).toContain('mqgw_requests_total{');
  });

  it('ignores a malformed traceparent: a new trace, and the request still succeeds', async () => {
    const { traceId } = await list({ traceparent: '00-not-a-trace-01' });
    const spans = await spansOf(traceId);
    const server = spans.find((s) => s.service === 'mqgw-gateway' && s.kind === SPAN_KIND.server)!;
    expect(server.parentSpanId).toBe('');
  });

  it('names a failed request after its route, with its error code', async () => {
    const client = await stack.requester();
    const reply = await client.request<Data>(
      'api/v1/users/get/nobody',
      {},
      {
        headers: { authorization: await stack.bearer('tracer') },
      },
    );
    expect(reply.body['error'].code).toBe('NOT_FOUND');
    const [, traceId] = TRACEPARENT.exec(
      String(reply.packet.properties?.userProperties?.['traceparent']),
    )!;
    await waitFor('the failed request span', async () =>
      receiver
        .trace(traceId)
        .some((s) => s.kind === SPAN_KIND.server && s.service === 'mqgw-gateway'),
    );
    const server = receiver
      .trace(traceId)
      .find((s) => s.kind === SPAN_KIND.server && s.service === 'mqgw-gateway')!;
    expect(server.name).toBe('api/v1/users/get/{user_id}');
    expect(server.attributes).toMatchObject({
      'mqgw.error.code': 'NOT_FOUND',
      'error.type': 'NOT_FOUND',
    });
    // The dashboard's recent errors name the trace.
    const errorLogs = `${stack.prefix}gateway:error_logs`;
    await waitFor('the error log entry with its trace id', async () =>
      (await stack.redis.redis.lrange(errorLogs, 0, -1)).some(
        (line) => JSON.parse(line).trace_id === traceId,
      ),
    );
  });
});

describe('an OTLP endpoint that cannot be reached', () => {
  let stack: Stack;

  beforeAll(async () => {
    // A port nothing listens on: every export fails.
    const dead = `http://127.0.0.1:${await freePort()}`;
    stack = await Stack.start({
      name: 'tracing-dead',
      services: ['user-service'],
      gatewayEnv: { OTEL_EXPORTER_OTLP_ENDPOINT: dead, ...FAST_EXPORT },
    });
  });
  afterAll(() => stack?.stop());

  it('answers every request and counts the spans it drops', async () => {
    const client = await stack.requester();
    const headers = { authorization: await stack.bearer('dead-exporter') };
    await waitFor('the user service behind the gateway', async () => {
      const reply = await client.request<Data>(ROUTE, {}, { headers });
      return reply.body['status'] === 'success';
    });
    const replies = await Promise.all(
      Array.from({ length: 40 }, () => client.request<Data>(ROUTE, {}, { headers })),
    );
    expect(replies.map((r) => r.body['status'])).toEqual(Array(40).fill('success'));
    const dropped = async () => {
      const text = await (await fetch(`${stack.gateways[0].httpUrl}/metrics`)).text();
      return parsePrometheus(text).get('mqgw_trace_spans_dropped_total') ?? 0;
    };
    await waitFor('dropped spans counted', async () => (await dropped()) > 0);
    // Still serving after the drops.
    expect((await client.request<Data>(ROUTE, {}, { headers })).body['status']).toBe('success');
  });
});
