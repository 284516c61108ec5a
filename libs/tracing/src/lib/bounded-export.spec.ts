import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { startTracing } from './tracing';

const SETTINGS = {
  endpoint: 'http://127.0.0.1:9/v1/traces',
  serviceName: 'test',
  sampler: 'always_on' as const,
  ratio: 1,
};

/** An exporter that keeps what it is sent (unlike the SDK's in-memory one, past shutdown). */
class KeepingExporter implements SpanExporter {
  readonly names: string[] = [];
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.names.push(...spans.map((s) => s.name));
    done({ code: ExportResultCode.SUCCESS });
  }
  async shutdown(): Promise<void> {
    return undefined;
  }
}

/** An exporter that never answers until told to: spans pile up in the queue. */
class StuckExporter implements SpanExporter {
  readonly pending: ((result: ExportResult) => void)[] = [];
  export(_spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.pending.push(done);
  }
  async shutdown(): Promise<void> {
    for (const done of this.pending) done({ code: ExportResultCode.FAILED });
  }
}

describe('startTracing', () => {
  it('exports the spans it ends', async () => {
    const exporter = new KeepingExporter();
    const tracing = startTracing(SETTINGS, { scope: 'test', warn: () => undefined, exporter });
    tracing.tracer.startSpan('one').end();
    await tracing.shutdown();
    expect(exporter.names).toEqual(['one']);
    expect(tracing.droppedSpans).toBe(0);
  });

  it('counts and warns once per window about spans a full queue or a failed export drops', async () => {
    const warnings: string[] = [];
    const counted: number[] = [];
    const exporter = new StuckExporter();
    const tracing = startTracing(SETTINGS, {
      scope: 'test',
      exporter,
      maxQueuedSpans: 4,
      onDropped: (n) => counted.push(n),
      warn: (line) => warnings.push(line),
    });
    for (let i = 0; i < 10; i++) tracing.tracer.startSpan(`s${i}`).end();
    expect(tracing.droppedSpans).toBe(6);
    await tracing.shutdown();
    expect(tracing.droppedSpans).toBe(10);
    expect(counted.reduce((a, b) => a + b, 0)).toBe(10);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('dropped 1 spans');
  });

  it('samples nothing with always_off, and so exports nothing', async () => {
    const exporter = new KeepingExporter();
    const tracing = startTracing(
      { ...SETTINGS, sampler: 'always_off' },
      { scope: 'test', warn: () => undefined, exporter },
    );
    const span = tracing.tracer.startSpan('unsampled');
    expect(span.isRecording()).toBe(false);
    span.end();
    await tracing.shutdown();
    expect(exporter.names).toHaveLength(0);
  });
});
