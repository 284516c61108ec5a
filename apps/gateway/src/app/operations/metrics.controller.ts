import { Controller, Get, Headers, Res } from '@nestjs/common';
import { Registry } from 'prom-client';
import { PrometheusMetrics } from '../observability/prometheus.metrics';
import { AdmissionControl } from '../pipeline/guards/admission-control';
import { ServiceLimits } from '../pipeline/interceptors/service-limits';
import { MqttRequestServer } from '../transport/mqtt-request.server';
import { DashboardData } from './dashboard.data';

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
    private readonly dashboard: DashboardData,
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
    this.setInstances();
    if (accept?.includes('application/openmetrics-text')) {
      res.setHeader('content-type', Registry.OPENMETRICS_CONTENT_TYPE);
      return this.metrics.openMetrics();
    }
    res.setHeader('content-type', PROMETHEUS_TEXT);
    return this.metrics.text();
  }

  /** Reset first, so that an instance that left the registry leaves the scrape too. */
  private setInstances(): void {
    this.metrics.instanceUp.reset();
    this.metrics.instanceOutstanding.reset();
    for (const service of this.dashboard.services()) {
      for (const instance of service.instances) {
        const labels = { service: service.name, instance_id: instance.id };
        this.metrics.instanceUp.set({ ...labels, url: instance.url }, instance.healthy ? 1 : 0);
        this.metrics.instanceOutstanding.set(labels, instance.outstanding);
      }
    }
  }
}
