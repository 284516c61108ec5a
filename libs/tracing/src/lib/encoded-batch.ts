import { TraceFlags, type Context } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { SpanBatchEncoder } from './otlp-encoding';

/** Told each time spans are given up: how many, and why. */
export type DropListener = (count: number, why: string) => void;

/** A batch ready to send: an OTLP `ExportTraceServiceRequest`, and how many spans it holds. */
export interface EncodedBatch {
  bytes: Uint8Array;
  spans: number;
}

/** Sends a batch; `done` is told how it went. The OTLP/HTTP exporter, or a test's. */
export interface BatchSender {
  export(batch: EncodedBatch, done: (result: ExportResult) => void): void;
  forceFlush?(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface EncodedBatchOptions {
  /** Spans per batch, at most (default 512, as `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`). */
  maxBatchSpans?: number;
  /** Bytes per batch, at most (default 1 MiB). */
  maxBatchBytes?: number;
  /** A batch that is not full is sent this long after its first span (default 5 s, as `OTEL_BSP_SCHEDULE_DELAY`). */
  delayMs?: number;
  /** Bytes held for export, sent or not yet, at most (default 8 MiB); past it spans are dropped. */
  maxHeldBytes?: number;
}

/**
 * The span processor of a traced app: each sampled span is encoded as OTLP protobuf the
 * moment it ends (`SpanBatchEncoder`), and batches of them are sent off the request path.
 * It keeps bytes, not span objects, so what waits for export is bounded in bytes
 * (`maxHeldBytes`, counting batches still being sent); a span that finds it full is dropped
 * and counted, never queued without bound and never waited for. A failed export drops its
 * batch, also counted: the exporter has already retried what is worth retrying.
 */
export class EncodedBatchProcessor implements SpanProcessor {
  private readonly encoder = new SpanBatchEncoder();
  private readonly maxBatchSpans: number;
  private readonly maxBatchBytes: number;
  private readonly delayMs: number;
  private readonly maxHeldBytes: number;
  /** Bytes of batches handed to the sender and not yet settled. */
  private sendingBytes = 0;
  private readonly sending = new Set<Promise<void>>();
  private timer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly sender: BatchSender,
    private readonly dropped: DropListener,
    options: EncodedBatchOptions = {},
  ) {
    this.maxBatchSpans = options.maxBatchSpans ?? 512;
    this.maxBatchBytes = options.maxBatchBytes ?? 1024 * 1024;
    this.delayMs = options.delayMs ?? 5000;
    this.maxHeldBytes = options.maxHeldBytes ?? 8 * 1024 * 1024;
  }

  /** Bytes waiting: encoded and not sent, and sent and not settled. */
  get heldBytes(): number {
    return this.sendingBytes + this.encoder.bytes;
  }

  onStart(_span: Span, _parentContext: Context): void {
    return undefined;
  }

  onEnd(span: ReadableSpan): void {
    if (!(span.spanContext().traceFlags & TraceFlags.SAMPLED)) return;
    if (this.closed) return this.dropped(1, 'tracing is shutting down');
    if (this.heldBytes >= this.maxHeldBytes) return this.dropped(1, 'the export queue is full');
    if (!this.encoder.accepts(span)) this.send();
    let added;
    try {
      added = this.encoder.add(span, this.maxBatchBytes);
    } catch {
      // The encoder took the span back out: the batch stays whole, the request unharmed.
      return this.dropped(1, 'a span could not be encoded');
    }
    if (!added) return this.dropped(1, 'a span is larger than a batch');
    if (this.encoder.spans >= this.maxBatchSpans || this.encoder.bytes >= this.maxBatchBytes) {
      this.send();
    } else {
      this.timer ??= setTimeout(() => this.send(), this.delayMs).unref();
    }
  }

  /** Sends what is encoded, and waits for every batch being sent to settle. */
  async forceFlush(): Promise<void> {
    this.send();
    await Promise.all(this.sending);
    await this.sender.forceFlush?.();
  }

  /** Sends what is encoded and waits for it; a span that ends after this is dropped, counted. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.forceFlush();
    await this.sender.shutdown();
  }

  private send(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const spans = this.encoder.spans;
    if (spans === 0) return;
    const bytes = this.encoder.request();
    this.sendingBytes += bytes.length;
    const settled = new Promise<void>((resolve) => {
      let once = false;
      const done = (result: ExportResult) => {
        if (once) return;
        once = true;
        this.sendingBytes -= bytes.length;
        try {
          if (result.code !== ExportResultCode.SUCCESS) {
            this.dropped(spans, result.error?.message ?? 'the export failed');
          }
        } finally {
          resolve();
        }
      };
      try {
        this.sender.export({ bytes, spans }, done);
      } catch (error) {
        done({ code: ExportResultCode.FAILED, error: error as Error });
      }
    });
    this.sending.add(settled);
    void settled.then(() => this.sending.delete(settled));
  }
}
