import { Controller, Get, Header } from '@nestjs/common';
import { PrometheusMetrics } from '../observability/prometheus.metrics';
import { MqttRequestServer } from '../transport/mqtt-request.server';

/** `GET /metrics`: Prometheus text for this instance. */
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: PrometheusMetrics,
    private readonly transport: MqttRequestServer,
  ) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(): Promise<string> {
    this.metrics.inflight.set(this.transport.inflightCount);
    return this.metrics.registry.metrics();
  }
}
