import { Inject, Injectable } from '@nestjs/common';
import type { KvStore } from '@mqgw/store';
import { KV_STORE } from '../state/state.tokens';
import { metricsKeys } from './metrics.keys';
import { LATENCY_BUCKETS } from './prometheus.metrics';

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
    {
      total_requests: number;
      avg_response_time: number;
      error_rate: number;
      errors: number;
      p50_response_time: number;
      p95_response_time: number;
      p99_response_time: number;
    }
  >;
  timestamp: number;
}

/** Reads the shared counters into the RouteMQ API-gateway guide's `gateway/metrics` shape. */
@Injectable()
export class MetricsReader {
  constructor(@Inject(KV_STORE) private readonly kv: KvStore) {}

  async snapshot(): Promise<MetricsSnapshot> {
    const [gateway, names] = await Promise.all([
      this.kv.hashGetAll(metricsKeys.gateway),
      this.kv.setMembers(metricsKeys.services),
    ]);
    const total = num(gateway['total_requests']);
    const successful = num(gateway['successful_requests']);
    const services: MetricsSnapshot['services'] = {};
    const rows = await Promise.all(
      names.sort().map((name) => this.kv.hashGetAll(metricsKeys.service(name))),
    );
    names.forEach((name, i) => {
      const requests = num(rows[i]['requests']);
      const errors = num(rows[i]['errors']);
      services[name] = {
        total_requests: requests,
        avg_response_time: requests ? round(num(rows[i]['time_ms']) / requests / 1000, 6) : 0,
        error_rate: requests ? round((errors / requests) * 100, 2) : 0,
        errors,
        p50_response_time: percentile(rows[i], 0.5),
        p95_response_time: percentile(rows[i], 0.95),
        p99_response_time: percentile(rows[i], 0.99),
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

/**
 * The upper bound (seconds) of the latency bucket holding quantile `q`, from the bucket
 * counts every instance adds to. Exact to the bucket; 0 with no data.
 */
export function percentile(row: Record<string, string>, q: number): number {
  const counts = LATENCY_BUCKETS.map((b) => num(row[`le_${b}`]));
  const overflow = num(row['le_inf']);
  const total = counts.reduce((a, b) => a + b, 0) + overflow;
  if (total === 0) return 0;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i];
    if (seen >= rank) return LATENCY_BUCKETS[i];
  }
  return Infinity;
}

function num(value: string | undefined): number {
  return value ? Number(value) : 0;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
