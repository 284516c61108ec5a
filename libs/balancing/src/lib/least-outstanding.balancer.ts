import type { Balanceable, LoadBalancer } from './load-balancer';

/**
 * Power of two choices on outstanding requests: look at two random instances and take
 * the one with fewer calls in flight from this gateway. Slow instances get less traffic
 * without any coordination between gateways.
 */
export class LeastOutstandingBalancer implements LoadBalancer {
  private readonly outstanding = new Map<string, number>();

  constructor(private readonly random: () => number = Math.random) {}

  pick<T extends Balanceable>(_service: string, instances: readonly T[]): T | undefined {
    if (instances.length <= 1) return instances[0];
    const i = Math.floor(this.random() * instances.length);
    let j = Math.floor(this.random() * (instances.length - 1));
    if (j >= i) j++;
    const a = instances[i];
    const b = instances[j];
    return this.load(b.instanceId) < this.load(a.instanceId) ? b : a;
  }

  track(instanceId: string, delta: 1 | -1): void {
    const next = this.load(instanceId) + delta;
    if (next <= 0) this.outstanding.delete(instanceId);
    else this.outstanding.set(instanceId, next);
  }

  load(instanceId: string): number {
    return this.outstanding.get(instanceId) ?? 0;
  }
}
