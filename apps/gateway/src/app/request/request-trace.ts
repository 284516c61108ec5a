import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type AttributeValue,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { isErrorReply, type Reply } from '@mqgw/contracts';
import type { LogTraceIds } from '@mqgw/logging';
import { formatTraceparent, safeAttributes, type TraceHeaders } from '@mqgw/tracing';

import type { GatewayRequest } from './gateway-request';

/** The ids a log line about a request carries. */
export type TraceIds = LogTraceIds;

type Attributes = Record<string, AttributeValue | undefined>;
type EventAttributes = Record<string, AttributeValue>;

/** What the transport knows of a request when its server span starts. */
export interface TracedArrival {
  qos: number;
  /** The device's broker username, under the device namespace. */
  device?: string;
  /** The caller's W3C trace context, as sent. */
  trace?: TraceHeaders;
}

/** How a step or the publish ended, as its event records it. */
export interface StepOutcome {
  /** A guard's verdict. */
  allowed?: boolean;
  /** What it threw: recorded by its code or type, never its message. */
  error?: unknown;
  /** For `auth`: the kind of principal it established. */
  principal?: string;
}

/**
 * The trace of one request: the server span the transport starts, an HTTP client span per
 * upstream attempt under it, and an event on it for each pipeline step and for the reply's
 * publish, at the moment it started and with how long it took. Steps are events, not
 * spans, because a span each (a dozen per request) costs more CPU than the 10 % the
 * gateway may spend on tracing (docs/benchmarks.md); an event is one entry in the span.
 * The parent of each attempt is passed explicitly, not carried by async context tracking,
 * which the gateway does not pay for.
 *
 * Only requests that are traced have one: with tracing off, nothing here is allocated.
 * Every attribute goes through `safeAttributes`: no token, key, secret or payload.
 */
export class RequestTrace {
  readonly ids: TraceIds;
  /**
   * Whether the sampler kept this trace. One it dropped still passes its `traceparent` on,
   * so that the service drops it too, but records nothing and builds no attribute.
   */
  readonly recording: boolean;
  /** The server span as a parent context, made for the first upstream attempt. */
  private parent?: Context;

  constructor(
    private readonly tracer: Tracer,
    readonly server: Span,
  ) {
    const { traceId, spanId } = server.spanContext();
    this.ids = { trace_id: traceId, span_id: spanId };
    this.recording = server.isRecording();
  }

  /** The `traceparent` naming the gateway's span, for the reply. */
  get traceparent(): string {
    return formatTraceparent(this.server.spanContext());
  }

  /**
   * Records a finished pipeline step: an event `step <name>` at its start
   * (`performance.now()`), with its duration and only what else it has to say. Events are
   * built by hand, not through `safeAttributes`: their keys are these, their values a
   * number, a boolean, a principal kind or an error code.
   */
  stepDone(name: string, startedAt: number, outcome: StepOutcome): void {
    if (!this.recording) return;
    const attributes: EventAttributes = { 'mqgw.duration_ms': since(startedAt) };
    if (outcome.allowed === false) attributes['mqgw.step.allowed'] = false;
    if (outcome.principal) attributes['mqgw.principal.kind'] = outcome.principal;
    if (outcome.error !== undefined) attributes['error.type'] = errorType(outcome.error);
    this.server.addEvent(`step ${name}`, attributes, performance.timeOrigin + startedAt);
  }

  /** Records the reply's publish: `publish reply`, with its QoS. */
  published(startedAt: number, qos: number, error?: unknown): void {
    if (!this.recording) return;
    const attributes: EventAttributes = {
      'mqgw.duration_ms': since(startedAt),
      'mqgw.mqtt.qos': qos,
    };
    if (error !== undefined) attributes['error.type'] = errorType(error);
    this.server.addEvent('publish reply', attributes, performance.timeOrigin + startedAt);
  }

  /**
   * An HTTP client span for one upstream attempt; its `traceparent` goes with the call. A
   * trace the sampler dropped passes the server span's own on, and builds no attribute.
   */
  attempt(method: string, attributes: () => Attributes): { span: Span; traceparent: string } {
    if (!this.recording) return { span: this.server, traceparent: this.traceparent };
    const span = this.tracer.startSpan(
      method,
      { kind: SpanKind.CLIENT, attributes: safeAttributes(attributes()) },
      (this.parent ??= trace.setSpan(ROOT_CONTEXT, this.server)),
    );
    return { span, traceparent: formatTraceparent(span.spanContext()) };
  }

  /**
   * Ends the server span with what the request came to: its outcome, status and error code
   * (never the error's message, which may quote what the client sent).
   */
  finish(reply: Reply, request: GatewayRequest | undefined): void {
    if (!this.recording) return this.server.end();
    const error = isErrorReply(reply) ? reply : undefined;
    const status = error?.status_code ?? 200;
    const { source, status: kind } = reply as { source?: unknown; status?: unknown };
    this.end(
      {
        'mqgw.request_id': request?.requestId ?? error?.request_id,
        'mqgw.service': request?.service,
        'mqgw.principal.kind': request?.principal.kind,
        'mqgw.outcome': error ? 'error' : source === 'cache' ? 'cache' : String(kind ?? 'success'),
        'mqgw.status_code': status,
        'mqgw.error.code': error?.error.code,
        'mqgw.error.reason': error?.error.reason,
        'error.type': error?.error.code,
      },
      status >= 500,
    );
  }

  /** Ends the server span with the request's outcome. */
  end(attributes: Attributes, serverFault: boolean): void {
    if (!this.recording) return this.server.end();
    this.server.setAttributes(safeAttributes(attributes));
    if (serverFault) this.server.setStatus({ code: SpanStatusCode.ERROR });
    this.server.end();
  }
}

/** Milliseconds since `startedAt` (`performance.now()`), to the microsecond. */
function since(startedAt: number): number {
  return Math.round((performance.now() - startedAt) * 1000) / 1000;
}

/** Marks a span failed with the error's type and code (never its message: it may quote input). */
export function failed(span: Span, error: unknown): void {
  span.setAttribute('error.type', errorType(error));
  span.setStatus({ code: SpanStatusCode.ERROR });
}

/** An error's code (`RATE_LIMITED`, `timeout`), else its class name. */
export function errorType(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' ? code : ((error as Error)?.name ?? 'Error');
}
