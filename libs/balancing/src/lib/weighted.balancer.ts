import type { Balanceable, LoadBalancer } from './load-balancer';

/**
 * Smooth weighted round robin (as in nginx): over any run of sum(weights) picks, each
 * instance is chosen exactly `weight` times, interleaved rather than in bursts. Weight
 * comes from the instance's registry metadata and defaults to 1.
 */
export class WeightedBalancer implements LoadBalancer {
  private readonly current = new Map<string, Map<string, number>>();

  pick<T extends Balanceable>(service: string, instances: readonly T[]): T | undefined {
    if (instances.length === 0) return undefined;
    let state = this.current.get(service);
    if (!state) this.current.set(service, (state = new Map()));
    const live = new Set(instances.map((i) => i.instanceId));
    for (const id of state.keys()) if (!live.has(id)) state.delete(id);
    let total = 0;
    let best: T | undefined;
    let bestScore = -Infinity;
    for (const instance of instances) {
      const weight = weightOf(instance);
      total += weight;
      const score = (state.get(instance.instanceId) ?? 0) + weight;
      state.set(instance.instanceId, score);
      if (score > bestScore) {
        bestScore = score;
        best = instance;
      }
    }
    state.set(best!.instanceId, bestScore - total);
    return best;
  }
}

function weightOf(instance: Balanceable): number {
  const weight = instance.metadata?.weight;
  return typeof weight === 'number' && Number.isFinite(weight) && weight > 0 ? weight : 1;
}
