/**
 * A log message about one request: `logger.warn(forRequest(req.requestId, 'text'))`
 * writes a line with `request_id`. The id is passed explicitly rather than carried by
 * `AsyncLocalStorage`, whose promise hooks cost the gateway a quarter of its CPU per
 * request on Node 20 (docs/benchmarks.md).
 */
export function forRequest(requestId: string, msg: string): { request_id: string; msg: string } {
  return { request_id: requestId, msg };
}
