import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { MqttRequestServer } from '../transport/mqtt-request.server';
import { HealthReporter } from './health.reporter';

/**
 * Liveness and readiness over HTTP. Readiness reuses the gateway's own MQTT and Redis
 * connections rather than opening new ones on every probe.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly reporter: HealthReporter,
    @Inject(MqttRequestServer) private readonly transport: MqttRequestServer,
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => {
        const check = this.indicator.check('mqtt');
        return this.transport.connected ? check.up() : check.down({ message: 'not connected' });
      },
      async () => {
        const check = this.indicator.check('redis');
        return (await this.reporter.redisHealthy())
          ? check.up()
          : check.down({ message: 'no answer' });
      },
    ]);
  }
}
