import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import {
  SpanBatchEncoder,
  startTracing,
  type SamplerName,
  type TracingOptions,
} from '@mqgw/tracing';
import type { Reply } from '@mqgw/contracts';
import { officialBytes } from '@mqgw/testing';
import type { GatewayRequest } from '../gateway-request';
import { RequestTrace } from '../request-trace';

/*
 * What tracing costs one request in the gateway's own code, away from the broker, the
 * sockets and the other processes (`npx nx run gateway:bench-tracing`): the server span of
 * a GET through the default api/v1 steps with its attributes, an event for each of the five
 * timed steps and the publish, the upstream attempt's client span, and the encoding of both
 * spans for export, with every request sampled and with none. Then the encoding alone, per
 * span: this project's encoder against the serialiser OpenTelemetry JS's exporter ships
 * with. Prints one JSON line per case.
 */

function time(calls: number, work: () => unknown): number {
  for (let i = 0; i < Math.min(calls, 20_000); i++) work();
  const started = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) work();
  return Number(process.hrtime.bigint() - started) / calls / 1000;
}

const kept: ReadableSpan[] = [];
const discard = {
  export: (_batch: unknown, done: (result: { code: 0 }) => void) => done({ code: 0 }),
  shutdown: async () => undefined,
};

/** A tracer as the gateway starts one, sending to `sender` (or ending in `processor`). */
function tracerFor(sampler: SamplerName, sink: Pick<TracingOptions, 'sender' | 'processor'>) {
  const settings = { endpoint: 'http://127.0.0.1:9/v1/traces', serviceName: 'mqgw-gateway' };
  return startTracing(
    { ...settings, sampler, ratio: 1, delayMs: 5000, maxBatchSpans: 512 },
    { scope: 'mqgw-gateway', version: '1.0.0', warn: () => undefined, ...sink },
  ).tracer;
}

const reply = { status: 'success', data: [] } as unknown as Reply;
const request = {
  requestId: 'b4a1c3e2-1f7a-4d2e-9a0b-123456789abc',
  service: 'user-service',
  principal: { kind: 'user' },
} as unknown as GatewayRequest;

function oneRequest(tracer: ReturnType<typeof tracerFor>): void {
  const server = tracer.startSpan('api/v1/users/list', { kind: SpanKind.SERVER });
  if (server.isRecording()) {
    server.setAttributes({
      'messaging.system': 'mqtt',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'request',
      'messaging.destination.template': 'api/v1/users/list',
      'messaging.client.id': 'mqgw-gateway-1',
      'mqgw.mqtt.qos': 1,
    });
  }
  const trace = new RequestTrace(tracer, server);
  for (const step of ['auth', 'rateLimit', 'idempotency', 'concurrency', 'fallback']) {
    trace.stepDone(step, performance.now(), step === 'auth' ? { principal: 'user' } : {});
  }
  const { span } = trace.attempt('GET', () => ({
    'http.request.method': 'GET',
    'url.full': 'http://127.0.0.1:4001/users',
    'server.address': '127.0.0.1',
    'server.port': 4001,
    'mqgw.service': 'user-service',
    'mqgw.instance.id': 'user-service-1',
  }));
  span.setAttribute('http.response.status_code', 200);
  span.end();
  trace.published(performance.now(), 1);
  void trace.traceparent;
  trace.finish(reply, request);
}

const report = (name: string, micros: number) =>
  process.stdout.write(`${JSON.stringify({ case: name, us: Math.round(micros * 100) / 100 })}\n`);

const sampled = tracerFor('always_on', { sender: discard });
const unsampled = tracerFor('always_off', { sender: discard });
report(
  'traced request, sampled (2 spans, 6 events, encoded)',
  time(200_000, () => oneRequest(sampled)),
);
report(
  'traced request, not sampled',
  time(200_000, () => oneRequest(unsampled)),
);

// The encoding alone: spans kept from sampled requests, 512 to a batch.
const keeping = tracerFor('always_on', {
  processor: {
    onStart: () => undefined,
    onEnd: (span) => void kept.push(span),
    forceFlush: async () => undefined,
    shutdown: async () => undefined,
  },
});
for (let i = 0; i < 10_240; i++) oneRequest(keeping);
const encoder = new SpanBatchEncoder();
const ours = () => {
  for (const span of kept) {
    encoder.add(span);
    if (encoder.spans === 512) encoder.request();
  }
  encoder.request();
};
const official = () => {
  for (let i = 0; i < kept.length; i += 512) officialBytes(kept.slice(i, i + 512));
};
report('encoding per span, SpanBatchEncoder', time(20, ours) / kept.length);
report('encoding per span, official serialiser', time(20, official) / kept.length);
