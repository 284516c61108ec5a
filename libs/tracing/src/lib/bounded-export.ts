import type { Context } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type {
  ReadableSpan,
  Span,
  SpanExporter,
  SpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/** Told each time spans are given up: how many, and why. */
export type DropListener = (count: number, why: string) => void;

/**
 * Holds at most `maxQueued` finished spans between a batch processor and its exporter, and
 * counts every span it gives up: one that finds the queue full, one whose export failed.
 * The batch processor also bounds its queue, but drops past it without telling anyone; this
 * keeps the same bound one step earlier so that every drop is counted.
 */
export class BoundedExport implements SpanProcessor {
  private queued = 0;
  private readonly batch: SpanProcessor;

  constructor(
    private readonly exporter: SpanExporter,
    private readonly maxQueued: number,
    private readonly dropped: DropListener,
    batchOf: (exporter: SpanExporter) => SpanProcessor,
  ) {
    this.batch = batchOf({
      export: (spans, done) => this.export(spans, done),
      shutdown: () => exporter.shutdown(),
      forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
    });
  }

  onStart(span: Span, parentContext: Context): void {
    this.batch.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    if (this.queued >= this.maxQueued) return this.dropped(1, 'the export queue is full');
    this.queued++;
    this.batch.onEnd(span);
  }

  private export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.exporter.export(spans, (result) => {
      this.queued = Math.max(0, this.queued - spans.length);
      if (result.code !== ExportResultCode.SUCCESS) {
        this.dropped(spans.length, result.error?.message ?? 'the export failed');
      }
      done(result);
    });
  }

  forceFlush(): Promise<void> {
    return this.batch.forceFlush();
  }

  /** Exports what is queued, then shuts the exporter down (the batch processor does both). */
  shutdown(): Promise<void> {
    return this.batch.shutdown();
  }
}
