import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanLimits,
} from '@opentelemetry/sdk-trace-base';
import { SpanBatchEncoder } from './otlp-encoding';
// What ours must match: the official serialiser's bytes, decoded by the official definitions.
import { decodeExportRequest as decoded, officialBytes as official } from '@mqgw/testing';

function spansOf(
  record: (tracer: ReturnType<BasicTracerProvider['getTracer']>) => void,
  spanLimits?: SpanLimits,
) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    spanLimits,
    resource: resourceFromAttributes({
      'service.name': 'mqgw-gateway',
      'service.version': '1.2.3',
    }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  record(provider.getTracer('mqgw-gateway', '1.2.3'));
  return exporter.getFinishedSpans();
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
  it('matches it for dropped counts, integers past 2^53, lone surrogates and empty values', () => {
    const spans = spansOf(
      (tracer) => {
        const span = tracer.startSpan('limits');
        span.setAttributes({ a: 2 ** 60, b: -(2 ** 62), c: '\ud800 alone', d: '', e: 0 });
        for (let i = 0; i < 5; i++) span.addEvent(`e${i}`, { i });
        span.addLink({ context: remoteParent });
        span.addLink({ context: remoteParent });
        span.end();
      },
      { attributeCountLimit: 3, eventCountLimit: 2, linkCountLimit: 1 },
    );
    const [span] = spans;
    expect([span.droppedAttributesCount, span.droppedEventsCount, span.droppedLinksCount]).toEqual([
      2, 3, 1,
    ]);
    expect(decoded(encoded(spans))).toEqual(decoded(official(spans)));
  });

  it('leaves the batch whole when a span fails to encode or is larger than allowed', () => {
    const [good, big, other] = spansOf((tracer) => {
      tracer.startSpan('good').end();
      tracer.startSpan('big', { attributes: { text: 'z'.repeat(2000) } }).end();
      tracer.startSpan('other').end();
    });
    const broken = Object.create(good, {
      events: {
        get: () => {
          throw new Error('no events today');
        },
      },
    }) as ReadableSpan;
    const encoder = new SpanBatchEncoder();
    expect(encoder.add(good, 1000)).toBe(true);
    expect(() => encoder.add(broken)).toThrow('no events today');
    expect(encoder.add(big, 1000)).toBe(false);
    expect(encoder.add(other, 1000)).toBe(true);
    expect(encoder.spans).toBe(2);
    expect(decoded(encoder.request())).toEqual(decoded(official([good, other])));
  });
});
