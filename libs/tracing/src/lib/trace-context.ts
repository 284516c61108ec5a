import { TraceState, parseTraceParent } from '@opentelemetry/core';
import { TraceFlags, isSpanContextValid, type SpanContext } from '@opentelemetry/api';

/** The W3C trace context headers, by their names on the wire. */
export const TRACEPARENT = 'traceparent';
export const TRACESTATE = 'tracestate';

/** A W3C `tracestate` is at most 32 members; anything longer is not one. */
const MAX_TRACESTATE_CHARS = 512;

/** What a client sent of W3C trace context, as raw text. */
export interface TraceHeaders {
  traceparent?: string;
  tracestate?: string;
}

/**
 * The caller's span, from its `traceparent` (and `tracestate`), or `undefined` when there is
 * none or it is malformed: a bad trace context starts a new trace and is never an error,
 * since tracing must not change what a request gets.
 */
export function readTraceContext(headers: TraceHeaders): SpanContext | undefined {
  const { traceparent, tracestate } = headers;
  if (typeof traceparent !== 'string') return undefined;
  const parsed = parseTraceParent(traceparent.trim());
  if (!parsed || !isSpanContextValid(parsed)) return undefined;
  parsed.isRemote = true;
  if (typeof tracestate === 'string' && tracestate.length <= MAX_TRACESTATE_CHARS) {
    parsed.traceState = new TraceState(tracestate);
  }
  return parsed;
}

/** The `traceparent` that names a span: version 00, its trace and span ids and flags. */
export function formatTraceparent(span: SpanContext): string {
  const flags = (span.traceFlags & TraceFlags.SAMPLED).toString(16).padStart(2, '0');
  return `00-${span.traceId}-${span.spanId}-${flags}`;
}

/** The W3C trace context of `headers` kept, from a `headers` object of an MQTT 3.1.1 envelope. */
export function traceHeadersOf(headers: unknown): TraceHeaders | undefined {
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) return undefined;
  const { traceparent, tracestate } = headers as Record<string, unknown>;
  if (typeof traceparent !== 'string') return undefined;
  return typeof tracestate === 'string' ? { traceparent, tracestate } : { traceparent };
}
