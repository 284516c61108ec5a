/** The ids of the span a request is traced under, as log lines name them. */
export interface LogTraceIds {
  trace_id: string;
  span_id: string;
}

/**
 * A log message about one request: `logger.warn(forRequest(req.requestId, 'text', ids))`
 * writes a line with `request_id`, and `trace_id` and `span_id` when the request is traced.
 * The ids are passed explicitly rather than carried by `AsyncLocalStorage`, whose promise
 * hooks cost the gateway a quarter of its CPU per request on Node 20 (docs/benchmarks.md).
 */
export function forRequest(
  requestId: string,
  msg: string,
  trace?: LogTraceIds,
): { request_id: string; msg: string } & Partial<LogTraceIds> {
  return trace
    ? { request_id: requestId, trace_id: trace.trace_id, span_id: trace.span_id, msg }
    : { request_id: requestId, msg };
}
