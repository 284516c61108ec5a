import { LeastOutstandingBalancer } from './least-outstanding.balancer';
import type { BalancerName, Balanceable, LoadBalancer } from './load-balancer';
import { RoundRobinBalancer } from './round-robin.balancer';
import { WeightedBalancer } from './weighted.balancer';

export const BALANCERS: readonly BalancerName[] = ['round-robin', 'least-outstanding', 'weighted'];

export function createBalancer(name: BalancerName): LoadBalancer {
  switch (name) {
    case 'round-robin':
      return new RoundRobinBalancer();
    case 'least-outstanding':
      return new LeastOutstandingBalancer();
    case 'weighted':
      return new WeightedBalancer();
  }
}

/** One strategy per service, with a default for the rest. */
export class PerServiceBalancer implements LoadBalancer {
  private byService = new Map<string, { name: BalancerName; balancer: LoadBalancer }>();
  private readonly fallback: LoadBalancer;

  constructor(
    defaultStrategy: BalancerName,
    overrides: Readonly<Record<string, BalancerName>> = {},
  ) {
    this.fallback = createBalancer(defaultStrategy);
    this.setOverrides(overrides);
  }

  /** Replaces the per-service strategies; a service whose strategy stays keeps its state. */
  setOverrides(overrides: Readonly<Record<string, BalancerName>>): void {
    const next = new Map<string, { name: BalancerName; balancer: LoadBalancer }>();
    for (const [service, name] of Object.entries(overrides)) {
      const current = this.byService.get(service);
      next.set(
        service,
        current?.name === name ? current : { name, balancer: createBalancer(name) },
      );
    }
    this.byService = next;
  }

  pick<T extends Balanceable>(service: string, instances: readonly T[]): T | undefined {
    return this.for(service).pick(service, instances);
  }

  /** Tracking is per instance id, which is unique across services. */
  track(instanceId: string, delta: 1 | -1): void {
    this.fallback.track?.(instanceId, delta);
    for (const { balancer } of this.byService.values()) balancer.track?.(instanceId, delta);
  }

  private for(service: string): LoadBalancer {
    return this.byService.get(service)?.balancer ?? this.fallback;
  }
}
