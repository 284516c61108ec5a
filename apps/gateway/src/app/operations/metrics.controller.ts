import { Controller, Get, Headers, Res } from '@nestjs/common';
import { Registry } from 'prom-client';
import { PrometheusMetrics } from '../observability/prometheus.metrics';
import { AdmissionControl } from '../pipeline/guards/admission-control';
import { ServiceLimits } from '../pipeline/interceptors/service-limits';
import { MqttRequestServer } from '../transport/mqtt-request.server';

const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * `GET /metrics`: Prometheus text for this instance; the OpenMetrics format, with the
 * request-duration exemplars (trace ids), when the scraper asks for it with Accept.
 */
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: PrometheusMetrics,
    private readonly transport: MqttRequestServer,
    private readonly admission: AdmissionControl,
    private readonly limits: ServiceLimits,
  ) {}

  @Get()
  async scrape(
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) res: { setHeader(name: string, value: string): void },
  ): Promise<string> {
    this.metrics.inflight.set(this.transport.inflightCount);
    for (const [value, n] of Object.entries(this.admission.state)) {
      this.metrics.admission.set({ value }, n);
    }
    for (const [service, state] of Object.entries(this.limits.snapshot())) {
      this.metrics.serviceConcurrency.set({ service, value: 'inflight' }, state.inflight);
      this.metrics.serviceConcurrency.set({ service, value: 'limit' }, state.limit);
    }
    if (accept?.includes('application/openmetrics-text')) {
      res.setHeader('content-type', Registry.OPENMETRICS_CONTENT_TYPE);
      return this.metrics.openMetrics();
    }
    res.setHeader('content-type', PROMETHEUS_TEXT);
    return this.metrics.text();
  }
}
