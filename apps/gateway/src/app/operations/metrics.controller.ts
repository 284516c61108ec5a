import { Controller, Get, Header } from '@nestjs/common';
import { PrometheusMetrics } from '../observability/prometheus.metrics';
import { AdmissionControl } from '../pipeline/guards/admission-control';
import { ServiceLimits } from '../pipeline/interceptors/service-limits';
import { MqttRequestServer } from '../transport/mqtt-request.server';
import { DashboardData } from './dashboard.data';

/** `GET /metrics`: Prometheus text for this instance. */
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
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(): Promise<string> {
    this.metrics.inflight.set(this.transport.inflightCount);
    for (const [value, n] of Object.entries(this.admission.state)) {
      this.metrics.admission.set({ value }, n);
    }
    for (const [service, state] of Object.entries(this.limits.snapshot())) {
      this.metrics.serviceConcurrency.set({ service, value: 'inflight' }, state.inflight);
      this.metrics.serviceConcurrency.set({ service, value: 'limit' }, state.limit);
    }
    this.setInstances();
    return this.metrics.registry.metrics();
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
