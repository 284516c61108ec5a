import { PrometheusMetrics } from './prometheus.metrics';

const TRACE = '0af7651916cd43dd8448eb211c80319c';

describe('PrometheusMetrics exemplars', () => {
  it('keeps the trace id of a traced request as the exemplar of its bucket, in OpenMetrics only', async () => {
    const metrics = new PrometheusMetrics();
    metrics.recordRequest('api/v1/users/list', 'user-service', 'success', 0.003, TRACE);
    metrics.recordRequest('api/v1/users/list', 'user-service', 'success', 0.2);

    const open = await metrics.openMetrics();
    expect(open).toContain(`# {trace_id="${TRACE}"} 0.003`);
    expect(open).toMatch(/mqgw_requests_total\{route="api\/v1\/users\/list",outcome="success"\} 2/);
    expect(open.trimEnd().endsWith('# EOF')).toBe(true);

    const text = await metrics.text();
    expect(text).not.toContain('trace_id');
    // OpenMetrics renames counters while it renders; the text format keeps their names.
    expect(text).toContain('mqgw_requests_total{route="api/v1/users/list",outcome="success"} 2');
    expect(text).toContain(
      'mqgw_request_duration_seconds_count{service="user-service",route="api/v1/users/list",outcome="success"} 2',
    );
    expect(text).toContain('mqgw_trace_spans_dropped_total 0');
  });
});
