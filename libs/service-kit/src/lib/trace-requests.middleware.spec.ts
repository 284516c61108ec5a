import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import {
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { startTracing, type Tracing } from '@mqgw/tracing';
import { traceRequests } from './trace-requests.middleware';

class KeepingExporter implements SpanExporter {
  readonly spans: ReadableSpan[] = [];
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.spans.push(...spans);
    done({ code: ExportResultCode.SUCCESS });
  }
  async shutdown(): Promise<void> {
    return undefined;
  }
}

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const PARENT = 'b7ad6b7169203331';

describe('traceRequests', () => {
  let server: Server;
  let base: string;
  let tracing: Tracing;
  let exporter: KeepingExporter;

  beforeEach(async () => {
    exporter = new KeepingExporter();
    tracing = startTracing(
      {
        endpoint: 'http://127.0.0.1:9/v1/traces',
        serviceName: 'svc',
        sampler: 'parentbased_always_on',
        ratio: 1,
        delayMs: 5000,
        maxBatchSpans: 512,
      },
      { scope: 'svc', warn: () => undefined, processor: new SimpleSpanProcessor(exporter) },
    );
    const middleware = traceRequests(tracing.tracer);
    server = createServer((req, res) =>
      middleware(req, res, () => {
        (req as { route?: { path: string } }).route = { path: '/orders/:id' };
        res.statusCode = req.url?.startsWith('/boom') ? 500 : 200;
        res.end('{}');
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('continues the caller trace with a server span named after the route', async () => {
    await fetch(`${base}/orders/42?secret=x`, {
      headers: { traceparent: `00-${TRACE}-${PARENT}-01`, authorization: 'Bearer abc' },
    });
    await tracing.shutdown();
    const [span] = exporter.spans;
    expect(span.name).toBe('GET /orders/:id');
    expect(span.spanContext().traceId).toBe(TRACE);
    expect(span.parentSpanContext?.spanId).toBe(PARENT);
    expect(span.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': '/orders/:id',
      'url.path': '/orders/42',
      'http.response.status_code': 200,
    });
    expect(JSON.stringify(span.attributes)).not.toMatch(/secret|Bearer/);
  });

  it('starts a new trace for a malformed traceparent, marks a 5xx failed, and skips /health', async () => {
    await fetch(`${base}/boom`, { headers: { traceparent: 'garbage' } });
    await fetch(`${base}/health`);
    await tracing.shutdown();
    expect(exporter.spans).toHaveLength(1);
    const [span] = exporter.spans;
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.status.code).toBe(2);
    expect(span.attributes['error.type']).toBe('500');
  });
});
