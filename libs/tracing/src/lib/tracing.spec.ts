import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
// The official protobuf definitions, as OpenTelemetry JS generates them: what a collector reads.
import root = require('@opentelemetry/otlp-transformer/build/src/generated/root');
import { waitUntil } from '@mqgw/testing';
import type { BatchSender, EncodedBatch } from './encoded-batch';
import { startTracing } from './tracing';

const SETTINGS = {
  endpoint: 'http://127.0.0.1:9/v1/traces',
  serviceName: 'test',
  sampler: 'always_on' as const,
  ratio: 1,
  delayMs: 50,
  maxBatchSpans: 512,
};

interface Decoded {
  resourceSpans: { scopeSpans: { spans: { name: string }[] }[] }[];
}
const REQUEST = (
  root as unknown as {
    opentelemetry: {
      proto: {
        collector: {
          trace: {
            v1: Record<string, { decode(b: Uint8Array): unknown; toObject(m: unknown): unknown }>;
          };
        };
      };
    };
  }
).opentelemetry.proto.collector.trace.v1['ExportTraceServiceRequest'];

/** A sender that decodes what it is sent and answers as told: at once, or when released. */
class TestSender implements BatchSender {
  readonly names: string[] = [];
  readonly pending: ((result: ExportResult) => void)[] = [];
  batches = 0;

  constructor(private readonly answer: 'success' | 'later') {}

  export(batch: EncodedBatch, done: (result: ExportResult) => void): void {
    this.batches++;
    const decoded = REQUEST.toObject(REQUEST.decode(batch.bytes)) as Decoded;
    const spans = decoded.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    expect(spans).toHaveLength(batch.spans);
    this.names.push(...spans.map((s) => s.name));
    if (this.answer === 'success') done({ code: ExportResultCode.SUCCESS });
    else this.pending.push(done);
  }

  fail(): void {
    for (const done of this.pending.splice(0)) done({ code: ExportResultCode.FAILED });
  }

  async shutdown(): Promise<void> {
    return undefined;
  }
}

describe('startTracing', () => {
  it('exports the spans it ends as OTLP protobuf', async () => {
    const sender = new TestSender('success');
    const tracing = startTracing(SETTINGS, { scope: 'test', warn: () => undefined, sender });
    tracing.tracer.startSpan('one').end();
    tracing.tracer.startSpan('two').end();
    await tracing.shutdown();
    expect(sender.names).toEqual(['one', 'two']);
    expect(sender.batches).toBe(1);
    expect(tracing.droppedSpans).toBe(0);
  });

  it('sends a batch that is not full on its own, soon after its first span', async () => {
    const sender = new TestSender('success');
    const tracing = startTracing(SETTINGS, { scope: 'test', warn: () => undefined, sender });
    tracing.tracer.startSpan('alone').end();
    await waitUntil('the batch to be sent', () => sender.batches === 1);
    expect(sender.names).toEqual(['alone']);
    await tracing.shutdown();
  });

  it('holds at most its bytes, and counts and warns once per window about what it drops', async () => {
    const warnings: string[] = [];
    const counted: number[] = [];
    const sender = new TestSender('later');
    const tracing = startTracing(SETTINGS, {
      scope: 'test',
      sender,
      maxHeldBytes: 300,
      onDropped: (n) => counted.push(n),
      warn: (line) => warnings.push(line),
    });
    for (let i = 0; i < 20; i++) tracing.tracer.startSpan(`span number ${i}`).end();
    const held = 20 - tracing.droppedSpans;
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThan(20);
    const closed = tracing.shutdown();
    await waitUntil('the held spans to be sent', () => sender.pending.length === 1);
    // A span that ends while its batch is being sent finds the bytes still held.
    tracing.tracer.startSpan('late').end();
    sender.fail();
    await closed;
    expect(sender.names).toHaveLength(held);
    expect(tracing.droppedSpans).toBe(21);
    expect(counted.reduce((a, b) => a + b, 0)).toBe(21);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('dropped 1 spans');
  });

  it('samples nothing with always_off, and so exports nothing', async () => {
    const sender = new TestSender('success');
    const tracing = startTracing(
      { ...SETTINGS, sampler: 'always_off' },
      { scope: 'test', warn: () => undefined, sender },
    );
    const span = tracing.tracer.startSpan('unsampled');
    expect(span.isRecording()).toBe(false);
    span.end();
    await tracing.shutdown();
    expect(sender.batches).toBe(0);
  });
});
