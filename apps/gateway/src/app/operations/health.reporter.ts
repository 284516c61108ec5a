import { Inject, Injectable } from '@nestjs/common';
import type { KvStore } from '@mqgw/store';
import { InstanceDirectory } from '@mqgw/discovery';
import { basename } from 'node:path';
import { servicesOf } from '@mqgw/routes';
import { ActiveRoutes } from '../routing/active-routes';
import { STATE_CONFIG, type StateConfig } from '../state/state.config';
import { KV_STORE } from '../state/state.tokens';
import { GATEWAY_VERSION } from '../version';

type Status = 'healthy' | 'degraded' | 'unhealthy';
export type RedisStatus = 'healthy' | 'unhealthy' | 'none';

export interface GatewayHealth {
  status: Status;
  timestamp: number;
  version: string;
  services: Record<string, Status>;
  /** `none`: no Redis configured, the state is this process's own. */
  redis: RedisStatus;
  /** The active route table, and how its last reload went. */
  routes: {
    file: string;
    digest: string;
    count: number;
    last_reload?: { ok: boolean; at: number; error?: string };
  };
}

const REDIS_PING_TIMEOUT_MS = 500;

/**
 * `gateway/health`: healthy when the store (Redis, if configured) answers and every service of the route
 * table has an instance; degraded when Redis is down, some service has none, or the last
 * reload of the routes file failed; unhealthy when no service has any.
 */
@Injectable()
export class HealthReporter {
  constructor(
    @Inject(KV_STORE) private readonly kv: KvStore,
    private readonly directory: InstanceDirectory,
    private readonly routes: ActiveRoutes,
    @Inject(STATE_CONFIG) private readonly state: Pick<StateConfig, 'redis'>,
  ) {}

  get redisConfigured(): boolean {
    return this.state.redis !== undefined;
  }

  /** Redis as the health replies say it: `none` when none is configured, never pinged. */
  async redisStatus(): Promise<RedisStatus> {
    if (!this.redisConfigured) return 'none';
    return (await this.redisHealthy()) ? 'healthy' : 'unhealthy';
  }

  /** The services the active table names, and fallback services that are up. */
  serviceNames(): string[] {
    const names = new Set(servicesOf(this.routes.table));
    for (const route of this.routes.routes) {
      const spare = route.fallbackService;
      if (spare && this.directory.allInstances(spare).length > 0) names.add(spare);
    }
    return [...names].sort();
  }

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
    const redis = await this.redisStatus();
    const redisUp = redis !== 'unhealthy';
    const services: Record<string, Status> = {};
    for (const summary of this.directory.summaries(this.serviceNames())) {
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
    const reload = this.routes.lastReload;
    const routesOk = reload === undefined || reload.ok;
    const status: Status =
      states.length > 0 && !anyUp
        ? 'unhealthy'
        : redisUp && allUp && routesOk
          ? 'healthy'
          : 'degraded';
    const { table } = this.routes;
    return {
      status,
      timestamp: Date.now() / 1000,
      version: GATEWAY_VERSION,
      services,
      redis,
      routes: {
        file: basename(table.source),
        digest: table.digest,
        count: table.routes.length,
        ...(reload
          ? {
              last_reload: {
                ok: reload.ok,
                at: reload.at / 1000,
                ...(reload.error ? { error: reload.error } : {}),
              },
            }
          : {}),
      },
    };
  }
}
