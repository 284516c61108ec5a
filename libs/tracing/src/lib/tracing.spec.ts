import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { waitUntil } from '@mqgw/testing';
import type { BatchSender, EncodedBatch } from './encoded-batch';
import { decodeExportRequest } from '@mqgw/testing';
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

/**
 * A sender that decodes what it is sent, with the official definitions, and answers as
 * told: at once, later (when failed by the test), or by throwing, or twice.
 */
class TestSender implements BatchSender {
  readonly names: string[] = [];
  readonly pending: ((result: ExportResult) => void)[] = [];
  /** Batches whose span count was not what the batch said. */
  readonly miscounted: number[] = [];
  batches = 0;

  constructor(private readonly answer: 'success' | 'later' | 'throw' | 'twice') {}

  export(batch: EncodedBatch, done: (result: ExportResult) => void): void {
    this.batches++;
    const decoded = decodeExportRequest(batch.bytes) as Decoded;
    const spans = decoded.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    if (spans.length !== batch.spans) this.miscounted.push(this.batches);
    this.names.push(...spans.map((s) => s.name));
    if (this.answer === 'throw') throw new Error('the sender broke');
    if (this.answer === 'later') return void this.pending.push(done);
    if (this.answer === 'twice') done({ code: ExportResultCode.FAILED });
    done({ code: this.answer === 'twice' ? ExportResultCode.FAILED : ExportResultCode.SUCCESS });
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
    expect(sender.miscounted).toEqual([]);
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
  it('drops and counts a span that ends once shutdown has begun, and sends nothing after', async () => {
    const sender = new TestSender('success');
    const tracing = startTracing(SETTINGS, { scope: 'test', warn: () => undefined, sender });
    tracing.tracer.startSpan('before').end();
    const closed = tracing.shutdown();
    tracing.tracer.startSpan('during').end();
    await closed;
    tracing.tracer.startSpan('after').end();
    expect(sender.names).toEqual(['before']);
    expect(tracing.droppedSpans).toBe(2);
  });

  it('counts a batch once whether its sender throws or answers twice', async () => {
    for (const answer of ['throw', 'twice'] as const) {
      const sender = new TestSender(answer);
      const tracing = startTracing(SETTINGS, { scope: 'test', warn: () => undefined, sender });
      tracing.tracer.startSpan('a').end();
      tracing.tracer.startSpan('b').end();
      await tracing.shutdown();
      expect([answer, sender.batches, tracing.droppedSpans]).toEqual([answer, 1, 2]);
    }
  });

  it('finishes shutting down even when counting a drop throws', async () => {
    const sender = new TestSender('later');
    const tracing = startTracing(SETTINGS, {
      scope: 'test',
      sender,
      warn: () => undefined,
      onDropped: () => {
        throw new Error('the counter broke');
      },
    });
    tracing.tracer.startSpan('lost').end();
    const closed = tracing.shutdown();
    await waitUntil('the batch to be sent', () => sender.pending.length === 1);
    expect(() => sender.fail()).toThrow('the counter broke');
    await expect(closed).resolves.toBeUndefined();
  });

  it('drops a span larger than a batch, and sends a batch once it holds a batch of bytes', async () => {
    const sender = new TestSender('success');
    const tracing = startTracing(
      { ...SETTINGS, delayMs: 60_000 },
      { scope: 'test', warn: () => undefined, sender },
    );
    // The SDK keeps 128 events of 128 attributes: with long values, several MiB in one span.
    const huge = tracing.tracer.startSpan('huge');
    const attributes = Object.fromEntries(
      Array.from({ length: 128 }, (_, i) => [`a${i}`, 'x'.repeat(400)]),
    );
    for (let i = 0; i < 128; i++) huge.addEvent(`event ${i}`, attributes);
    huge.end();
    expect(tracing.droppedSpans).toBe(1);
    // About 26 KB a span: 100 attributes of 250 characters.
    const filler = Object.fromEntries(
      Array.from({ length: 100 }, (_, i) => [`f${i}`, 'y'.repeat(250)]),
    );
    let sent = 0;
    for (let i = 0; sender.batches === 0 && i < 10_000; i++, sent++) {
      tracing.tracer.startSpan(`span ${i}`, { attributes: filler }).end();
    }
    // No timer sent it (a minute away) and far fewer than 512 spans: the bytes did.
    expect(sender.batches).toBe(1);
    expect(sent).toBeLessThan(100);
    await tracing.shutdown();
  });
});
