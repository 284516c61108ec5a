import { Inject, Injectable } from '@nestjs/common';
import type { KvStore } from '@mqgw/store';
import { InstanceDirectory } from '@mqgw/discovery';
import { KV_STORE } from '../state/state.tokens';
import { GATEWAY_VERSION } from '../version';

type Status = 'healthy' | 'degraded' | 'unhealthy';

export interface GatewayHealth {
  status: Status;
  timestamp: number;
  version: string;
  services: Record<string, Status>;
  redis: 'healthy' | 'unhealthy';
}

const REDIS_PING_TIMEOUT_MS = 500;

/**
 * `gateway/health`: healthy when the store (Redis) answers and every known service has an instance;
 * degraded when Redis is down or some service has none; unhealthy when no service has any.
 */
@Injectable()
export class HealthReporter {
  constructor(
    @Inject(KV_STORE) private readonly kv: KvStore,
    private readonly directory: InstanceDirectory,
  ) {}

  async redisHealthy(): Promise<boolean> {
    try {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), REDIS_PING_TIMEOUT_MS);
      });
      await Promise.race([this.kv.ping(), timeout]).finally(() => clearTimeout(timer));
      return true;
    } catch {
      return false;
    }
  }

  async report(): Promise<GatewayHealth> {
    const redisUp = await this.redisHealthy();
    const services: Record<string, Status> = {};
    for (const summary of this.directory.summaries()) {
      services[summary.name] =
        summary.healthy_instances === 0
          ? 'unhealthy'
          : summary.healthy_instances < summary.total_instances
            ? 'degraded'
            : 'healthy';
    }
    const states = Object.values(services);
    const anyUp = states.some((s) => s !== 'unhealthy');
    const allUp = states.every((s) => s === 'healthy');
    const status: Status =
      states.length > 0 && !anyUp ? 'unhealthy' : redisUp && allUp ? 'healthy' : 'degraded';
    return {
      status,
      timestamp: Date.now() / 1000,
      version: GATEWAY_VERSION,
      services,
      redis: redisUp ? 'healthy' : 'unhealthy',
    };
  }
}
