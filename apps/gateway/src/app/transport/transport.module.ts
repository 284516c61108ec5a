import { Module } from '@nestjs/common';
import { ObservabilityModule } from '../observability/observability.module';
import { PipelineModule } from '../pipeline/pipeline.module';
import { RoutingModule } from '../routing/routing.module';
import { MqttRequestServer } from './mqtt-request.server';

/** The MQTT side: receives requests, runs them through the pipeline, publishes replies. */
@Module({
  imports: [RoutingModule, PipelineModule, ObservabilityModule],
  providers: [MqttRequestServer],
  exports: [MqttRequestServer],
})
export class TransportModule {}
