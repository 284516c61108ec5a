import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
// The official serialiser and protobuf definitions of OpenTelemetry JS: what ours must match.
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import root = require('@opentelemetry/otlp-transformer/build/src/generated/root');
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { SpanBatchEncoder } from './otlp-encoding';

interface Message {
  decode(bytes: Uint8Array): unknown;
  toObject(message: unknown, options: object): unknown;
}
const REQUEST = (
  root as unknown as {
    opentelemetry: { proto: { collector: { trace: { v1: Record<string, Message> } } } };
  }
).opentelemetry.proto.collector.trace.v1['ExportTraceServiceRequest'];

/** Every field, defaults included, with 64-bit numbers and bytes as text. */
function decoded(bytes: Uint8Array): unknown {
  return REQUEST.toObject(REQUEST.decode(bytes), {
    longs: String,
    bytes: String,
    defaults: true,
    arrays: true,
  });
}

function spansOf(record: (tracer: ReturnType<BasicTracerProvider['getTracer']>) => void) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'mqgw-gateway',
      'service.version': '1.2.3',
    }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  record(provider.getTracer('mqgw-gateway', '1.2.3'));
  return exporter.getFinishedSpans();
}

/** The official serialiser's bytes for `spans`. */
function official(spans: ReadableSpan[]): Uint8Array {
  const bytes = ProtobufTraceSerializer.serializeRequest(spans);
  if (!bytes) throw new Error('the official serialiser wrote nothing');
  return bytes;
}

function encoded(spans: ReadableSpan[]): Buffer {
  const encoder = new SpanBatchEncoder();
  for (const span of spans) encoder.add(span);
  return encoder.request();
}

const remoteParent = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
  traceState: new TraceState('vendor=value,other=x'),
};
const remote = trace.setSpanContext(ROOT_CONTEXT, remoteParent);

describe('SpanBatchEncoder', () => {
  it('writes what the official serialiser writes, field for field', () => {
    const spans = spansOf((tracer) => {
      const server = tracer.startSpan(
        'api/v1/users/get/{id}',
        { kind: SpanKind.SERVER, startTime: Date.now() - 5.25 },
        remote,
      );
      server.setAttributes({
        'messaging.system': 'mqtt',
        'mqgw.mqtt.qos': 1,
        'mqgw.negative': -42,
        'mqgw.big': 2 ** 40 + 3,
        'mqgw.ratio': 0.125,
        'mqgw.flag': false,
        'mqgw.list': ['a', 'ünïcødé ✓', 'c'],
        'mqgw.numbers': [1, 2.5, -3],
        'mqgw.long': 'x'.repeat(300),
        'mqgw.text': 'ünïcødé ✓ and more than forty-three characters of it',
      });
      server.addEvent('step auth', { 'mqgw.duration_ms': 0.321, 'mqgw.principal.kind': 'user' });
      server.addEvent('publish reply');
      const client = tracer.startSpan(
        'GET',
        { kind: SpanKind.CLIENT, attributes: { 'http.request.method': 'GET' } },
        trace.setSpan(ROOT_CONTEXT, server),
      );
      client.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream said 503' });
      client.end();
      const linked = tracer.startSpan('linked', {
        links: [
          { context: server.spanContext(), attributes: { why: 'retry' } },
          { context: remoteParent },
        ],
      });
      linked.end();
      server.setStatus({ code: SpanStatusCode.OK });
      server.end();
    });
    expect(spans).toHaveLength(3);
    expect(decoded(encoded(spans))).toEqual(decoded(official(spans)));
  });

  it('matches it for a batch of hundreds of spans, whose lengths take several bytes', () => {
    const spans = spansOf((tracer) => {
      for (let i = 0; i < 600; i++) {
        const span = tracer.startSpan(`span ${i}`, {
          attributes: { i, text: 'y'.repeat(i % 200) },
        });
        for (let e = 0; e < i % 7; e++) span.addEvent(`event ${e}`, { e });
        span.end();
      }
    });
    const bytes = encoded(spans);
    expect(bytes.length).toBeGreaterThan(100_000);
    expect(decoded(bytes)).toEqual(decoded(official(spans)));
  });

  it('starts empty again after each request, and takes a span only from its own origin', () => {
    const [first, second] = spansOf((tracer) => {
      tracer.startSpan('one').end();
      tracer.startSpan('two').end();
    });
    const encoder = new SpanBatchEncoder();
    encoder.add(first);
    expect(encoder.spans).toBe(1);
    expect(decoded(encoder.request())).toEqual(decoded(official([first])));
    expect([encoder.spans, encoder.bytes]).toEqual([0, 0]);
    encoder.add(second);
    expect(decoded(encoder.request())).toEqual(decoded(official([second])));
    const [other] = spansOf((tracer) => tracer.startSpan('elsewhere').end());
    encoder.add(first);
    expect(encoder.accepts(second)).toBe(true);
    expect(encoder.accepts(other)).toBe(false);
  });
});
