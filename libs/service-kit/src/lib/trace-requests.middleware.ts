import type { IncomingMessage, ServerResponse } from 'node:http';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { readTraceContext, safeAttributes } from '@mqgw/tracing';

/** Paths not traced: the registry's health checks would drown the traces that matter. */
const UNTRACED = new Set(['/health']);

type Next = (error?: unknown) => void;

/**
 * An HTTP server span for each request to a service: a child of the `traceparent` the
 * gateway sent, so one trace holds the client, the gateway and the service. Named
 * `<METHOD> <route template>` once the route is known, as the HTTP semantic conventions
 * ask; no header, query or body is recorded.
 */
export function traceRequests(tracer: Tracer) {
  return (req: IncomingMessage, res: ServerResponse, next: Next): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (UNTRACED.has(path)) return next();
    const header = (name: string) => {
      const value = req.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const parent = readTraceContext({
      traceparent: header('traceparent'),
      tracestate: header('tracestate'),
    });
    const method = req.method ?? 'GET';
    const span = tracer.startSpan(
      method,
      {
        kind: SpanKind.SERVER,
        attributes: safeAttributes({
          'http.request.method': method,
          'url.path': path,
          'server.port': req.socket.localPort,
          'mqgw.request_id': header('x-request-id'),
        }),
      },
      parent ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT,
    );
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      const route = (req as { route?: { path?: unknown } }).route?.path;
      if (typeof route === 'string') {
        span.updateName(`${method} ${route}`);
        span.setAttribute('http.route', route);
      }
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) {
        span.setAttribute('error.type', String(res.statusCode));
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    };
    res.once('finish', end);
    res.once('close', end);
    next();
  };
}
