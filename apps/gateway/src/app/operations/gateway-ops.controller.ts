import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { InstanceDirectory } from '@mqgw/discovery';
import { HANDLER } from '@mqgw/routes';
import { MetricsReader, type MetricsSnapshot } from '../observability/metrics.reader';
import { UsePipeline } from '../pipeline/pipeline';
import { HealthReporter, type GatewayHealth } from './health.reporter';

/** The `gateway/*` group: introspection over MQTT. */
@Controller()
@UsePipeline()
export class GatewayOpsController {
  constructor(
    private readonly health: HealthReporter,
    private readonly metrics: MetricsReader,
    private readonly directory: InstanceDirectory,
  ) {}

  @MessagePattern(HANDLER.health)
  healthCheck(): Promise<GatewayHealth> {
    return this.health.report();
  }

  @MessagePattern(HANDLER.services)
  services() {
    const services = this.directory.summaries(this.health.serviceNames());
    return { status: 'success', services, count: services.length, timestamp: Date.now() / 1000 };
  }

  @MessagePattern(HANDLER.metrics)
  metricsSnapshot(): Promise<MetricsSnapshot> {
    return this.metrics.snapshot();
  }
}
