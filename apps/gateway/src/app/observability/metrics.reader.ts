import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';
import { REDIS } from '../tokens';
import { metricsKeys } from './metrics.keys';

export interface MetricsSnapshot {
  gateway: {
    total_requests: number;
    successful_requests: number;
    failed_requests: number;
    success_rate: number;
    rate_limit_hits: number;
  };
  services: Record<
    string,
    { total_requests: number; avg_response_time: number; error_rate: number }
  >;
  timestamp: number;
}

/** Reads the shared counters into the seed's `gateway/metrics` shape. */
@Injectable()
export class MetricsReader {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async snapshot(): Promise<MetricsSnapshot> {
    const p = this.config.REDIS_KEY_PREFIX;
    const [gateway, names] = await Promise.all([
      this.redis.hgetall(p + metricsKeys.gateway),
      this.redis.smembers(p + metricsKeys.services),
    ]);
    const total = num(gateway['total_requests']);
    const successful = num(gateway['successful_requests']);
    const services: MetricsSnapshot['services'] = {};
    const rows = await Promise.all(
      names.sort().map((name) => this.redis.hgetall(p + metricsKeys.service(name))),
    );
    names.forEach((name, i) => {
      const requests = num(rows[i]['requests']);
      services[name] = {
        total_requests: requests,
        avg_response_time: requests ? round(num(rows[i]['time_ms']) / requests / 1000, 6) : 0,
        error_rate: requests ? round((num(rows[i]['errors']) / requests) * 100, 2) : 0,
      };
    });
    return {
      gateway: {
        total_requests: total,
        successful_requests: successful,
        failed_requests: num(gateway['failed_requests']),
        success_rate: round((successful / Math.max(total, 1)) * 100, 2),
        rate_limit_hits: num(gateway['rate_limit_hits']),
      },
      services,
      timestamp: Date.now() / 1000,
    };
  }
}

function num(value: string | undefined): number {
  return value ? Number(value) : 0;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
