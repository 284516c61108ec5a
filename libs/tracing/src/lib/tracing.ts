import type { Tracer } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { EncodedBatchProcessor, type BatchSender } from './encoded-batch';
import { otlpHttpSender } from './otlp-http';
import { MAX_ATTRIBUTE_CHARS } from './safe-attributes';
import type { SamplerName, TracingSettings } from './tracing.config';

export interface TracingOptions {
  /** The instrumentation scope: the app's name. */
  scope: string;
  version?: string;
  /** Bytes of encoded spans waiting for export, at most (default 8 MiB); past it spans are dropped. */
  maxHeldBytes?: number;
  /** Told of every span given up, to count it (a Prometheus counter). */
  onDropped?: (count: number) => void;
  /** Where the rate-limited warning about dropped spans goes. */
  warn: (line: string) => void;
  /** At most one warning per this many milliseconds (default 30 s). */
  warnEveryMs?: number;
  /** Where batches go: OTLP/HTTP protobuf to `settings.endpoint` unless a test says otherwise. */
  sender?: BatchSender;
  /** Another span processor, for tests that read the spans themselves. */
  processor?: SpanProcessor;
}

/** A started tracer provider: the tracer to start spans with, and its end. */
export interface Tracing {
  readonly tracer: Tracer;
  /** Spans given up since start. */
  readonly droppedSpans: number;
  /** Exports what is pending, within the exporter's timeout, and stops. */
  shutdown(): Promise<void>;
}

/**
 * Starts exporting spans as `settings` say: each sampled span is encoded as OTLP protobuf
 * when it ends and sent in batches over OTLP/HTTP, off the request path, holding at most
 * `maxHeldBytes`. An endpoint that cannot be reached costs dropped spans, counted and warned
 * about at most every `warnEveryMs`, never a slower request. Nothing is registered globally: callers pass the
 * tracer (and the parent context) explicitly, so no async context tracking is paid for.
 */
export function startTracing(settings: TracingSettings, options: TracingOptions): Tracing {
  const warnEveryMs = options.warnEveryMs ?? 30_000;
  let dropped = 0;
  let unwarned = 0;
  let lastWarning = -Infinity;
  const onDropped = (count: number, why: string) => {
    dropped += count;
    unwarned += count;
    options.onDropped?.(count);
    const now = Date.now();
    if (now - lastWarning < warnEveryMs) return;
    lastWarning = now;
    options.warn(`tracing: dropped ${unwarned} spans for ${settings.endpoint} (${why})`);
    unwarned = 0;
  };
  const processor =
    options.processor ??
    new EncodedBatchProcessor(options.sender ?? otlpHttpSender(settings.endpoint), onDropped, {
      maxHeldBytes: options.maxHeldBytes,
      delayMs: settings.delayMs,
      maxBatchSpans: settings.maxBatchSpans,
    });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: settings.serviceName,
      ...(options.version ? { [ATTR_SERVICE_VERSION]: options.version } : {}),
    }),
    sampler: samplerOf(settings.sampler, settings.ratio),
    // Whatever sets an attribute, a span stays small: long values are clipped, as by
    // `safeAttributes`, and a span larger than a batch is dropped by the processor.
    spanLimits: { attributeValueLengthLimit: MAX_ATTRIBUTE_CHARS },
    spanProcessors: [processor],
  });
  return {
    tracer: provider.getTracer(options.scope, options.version),
    get droppedSpans() {
      return dropped;
    },
    shutdown: () => provider.shutdown(),
  };
}

export function samplerOf(name: SamplerName, ratio: number): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  }
}
