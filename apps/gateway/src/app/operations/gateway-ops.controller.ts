import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { InstanceDirectory } from '@mqgw/discovery';
import { MetricsReader, type MetricsSnapshot } from '../observability/metrics.reader';
import { UsePipeline } from '../pipeline/use-pipeline.decorator';
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

  @MessagePattern('health')
  healthCheck(): Promise<GatewayHealth> {
    return this.health.report();
  }

  @MessagePattern('services')
  services() {
    const services = this.directory.summaries(this.health.serviceNames());
    return { status: 'success', services, count: services.length, timestamp: Date.now() / 1000 };
  }

  @MessagePattern('metrics')
  metricsSnapshot(): Promise<MetricsSnapshot> {
    return this.metrics.snapshot();
  }
}
