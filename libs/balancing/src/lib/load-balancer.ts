/** What a balancer needs of an instance: a stable id. */
export interface Balanceable {
  instanceId: string;
}

/** Chooses one of a service's live instances for the next call. */
export interface LoadBalancer {
  pick<T extends Balanceable>(service: string, instances: readonly T[]): T | undefined;
}
