import type { Balanceable, LoadBalancer } from './load-balancer';

/**
 * Round robin with a counter per service, kept in this process. Each gateway instance is
 * fair on its own, and N instances together are fair on average, without a Redis round
 * trip per request (the RouteMQ API-gateway guide's shared INCR costs one on the hot path).
 */
export class RoundRobinBalancer implements LoadBalancer {
  private readonly counters = new Map<string, number>();

  pick<T extends Balanceable>(service: string, instances: readonly T[]): T | undefined {
    if (instances.length === 0) return undefined;
    const next = this.counters.get(service) ?? 0;
    this.counters.set(service, (next + 1) % Number.MAX_SAFE_INTEGER);
    return instances[next % instances.length];
  }
}
