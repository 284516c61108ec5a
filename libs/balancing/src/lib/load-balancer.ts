/** What a balancer needs of an instance: a stable id and an optional weight. */
export interface Balanceable {
  instanceId: string;
  metadata?: { weight?: number };
}

/** Chooses one of a service's live instances for the next call. */
export interface LoadBalancer {
  pick<T extends Balanceable>(service: string, instances: readonly T[]): T | undefined;
  /** Called when a call to `instanceId` starts (+1) and ends (-1); for load-aware strategies. */
  track?(instanceId: string, delta: 1 | -1): void;
}

export type BalancerName = 'round-robin' | 'least-outstanding' | 'weighted';
