import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { RedisCircuitBreaker } from '@mqgw/breaker';
import type { InstanceDirectory } from '@mqgw/discovery';
import { RequestRecorder } from './observability/request-recorder';
import { UpstreamHttpClient } from './proxy/upstream-http.client';
import { CIRCUIT_BREAKER, INSTANCE_DIRECTORY, REDIS } from './tokens';

/**
 * Start and stop order in one place. Nest drains the MQTT transport before this shutdown
 * hook runs, so by now no request is in flight: flush metrics and logs, then disconnect.
 */
@Injectable()
export class GatewayLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Gateway');

  constructor(
    @Inject(INSTANCE_DIRECTORY) private readonly directory: InstanceDirectory,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(CIRCUIT_BREAKER) private readonly breaker: RedisCircuitBreaker,
    private readonly recorder: RequestRecorder,
    private readonly http: UpstreamHttpClient,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.directory.start();
    await this.breaker
      .start()
      .catch((error: Error) => this.logger.warn(`breaker events unavailable: ${error.message}`));
    this.recorder.start();
  }

  async onApplicationShutdown(signal?: string): Promise<void> {
    this.logger.log(`requests drained${signal ? ` (${signal})` : ''}; flushing and disconnecting`);
    await this.recorder.stop();
    await this.directory.stop();
    await this.breaker.stop();
    this.http.close();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
