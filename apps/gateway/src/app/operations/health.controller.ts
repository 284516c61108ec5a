import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  type HealthCheckResult,
  type HealthIndicatorStatus,
  type HealthIndicatorFunction,
} from '@nestjs/terminus';
import { MqttRequestServer } from '../transport/mqtt-request.server';
import { HealthReporter } from './health.reporter';

/**
 * Redis when none is configured: neither up nor down, a status Terminus's types have no word
 * for (its JSON carries it as is).
 */
const NO_REDIS = { status: 'none', message: 'not configured' } as unknown as {
  status: HealthIndicatorStatus;
};

/**
 * Liveness and readiness over HTTP. Readiness reuses the gateway's own MQTT and Redis
 * connections rather than opening new ones on every probe; without Redis it says `none`.
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
  async ready(): Promise<HealthCheckResult> {
    const checks: HealthIndicatorFunction[] = [
      () => {
        const check = this.indicator.check('mqtt');
        return this.transport.connected ? check.up() : check.down({ message: 'not connected' });
      },
    ];
    if (this.reporter.redisConfigured) {
      checks.push(async () => {
        const check = this.indicator.check('redis');
        return (await this.reporter.redisHealthy())
          ? check.up()
          : check.down({ message: 'no answer' });
      });
      return this.health.check(checks);
    }
    try {
      return withoutRedis(await this.health.check(checks));
    } catch (error) {
      // Terminus answers 503 with the result as the body: it says `none` too.
      if (error instanceof ServiceUnavailableException) {
        withoutRedis(error.getResponse() as HealthCheckResult);
      }
      throw error;
    }
  }
}

function withoutRedis(result: HealthCheckResult): HealthCheckResult {
  result.info = { ...result.info, redis: NO_REDIS };
  result.details = { ...result.details, redis: NO_REDIS };
  return result;
}
