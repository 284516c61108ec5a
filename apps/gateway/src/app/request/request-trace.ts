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

/** The ids a log line about a request carries. */
export type TraceIds = LogTraceIds;

import type { GatewayRequest } from './gateway-request';

type Attributes = Record<string, AttributeValue | undefined>;

/** What the transport knows of a request when its server span starts. */
export interface TracedArrival {
  qos: number;
  /** The device's broker username, under the device namespace. */
  device?: string;
  /** The caller's W3C trace context, as sent. */
  trace?: TraceHeaders;
  /** The gateway's own MQTT client id: the consumer of the request. */
  clientId: string;
}

/**
 * The spans of one traced request: the server span the transport starts, and under it one
 * span per pipeline step, per upstream attempt and for the reply's publish. A step that
 * wraps the rest of the pipeline (an interceptor) is the parent of what runs inside it, so
 * the trace shows the pipeline as it nests. The parent is passed explicitly (`active`),
 * not carried by async context tracking, which the gateway does not pay for.
 *
 * Only requests that are traced have one: with tracing off, nothing here is allocated.
 * Every attribute goes through `safeAttributes`: no token, key, secret or payload.
 */
export class RequestTrace {
  readonly ids: TraceIds;
  private active: Context;

  constructor(
    private readonly tracer: Tracer,
    readonly server: Span,
  ) {
    const { traceId, spanId } = server.spanContext();
    this.ids = { trace_id: traceId, span_id: spanId };
    this.active = trace.setSpan(ROOT_CONTEXT, server);
  }

  /** The `traceparent` naming the gateway's span, for the reply. */
  get traceparent(): string {
    return formatTraceparent(this.server.spanContext());
  }

  /** Adds to the server span: what the pipeline learnt (the service, the principal's kind). */
  annotate(attributes: Attributes): void {
    this.server.setAttributes(safeAttributes(attributes));
  }

  /** A span for a pipeline step, under the innermost step running. */
  step(name: string): Span {
    return this.tracer.startSpan(
      `step ${name}`,
      { attributes: { 'mqgw.step': name } },
      this.active,
    );
  }

  /**
   * Runs `work` with `span` as the parent of what starts inside it (an interceptor's
   * rest of the pipeline), ending the span, with its outcome, when the work settles.
   */
  async within<T>(span: Span, work: () => Promise<T>): Promise<T> {
    const outer = this.active;
    this.active = trace.setSpan(outer, span);
    try {
      return await work();
    } catch (error) {
      failed(span, error);
      throw error;
    } finally {
      this.active = outer;
      span.end();
    }
  }

  /** An HTTP client span for one upstream attempt; its `traceparent` goes with the call. */
  attempt(method: string, attributes: Attributes): { span: Span; traceparent: string } {
    const span = this.tracer.startSpan(
      method,
      { kind: SpanKind.CLIENT, attributes: safeAttributes(attributes) },
      this.active,
    );
    return { span, traceparent: formatTraceparent(span.spanContext()) };
  }

  /** A producer span for publishing the reply. */
  publish(attributes: Attributes): Span {
    return this.tracer.startSpan(
      'publish reply',
      { kind: SpanKind.PRODUCER, attributes: safeAttributes(attributes) },
      trace.setSpan(ROOT_CONTEXT, this.server),
    );
  }

  /**
   * Ends the server span with what the request came to: its outcome, status and error code
   * (never the error's message, which may quote what the client sent).
   */
  finish(reply: Reply, request: GatewayRequest | undefined): void {
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
    this.server.setAttributes(safeAttributes(attributes));
    if (serverFault) this.server.setStatus({ code: SpanStatusCode.ERROR });
    this.server.end();
  }
}

/** Marks a span failed with the error's type and code (never its message: it may quote input). */
export function failed(span: Span, error: unknown): void {
  const code = (error as { code?: unknown })?.code;
  const type = typeof code === 'string' ? code : ((error as Error)?.name ?? 'Error');
  span.setAttribute('error.type', type);
  span.setStatus({ code: SpanStatusCode.ERROR });
}
