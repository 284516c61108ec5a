export interface InstanceMetadata {
  version?: string;
  /** Relative share for weighted balancing; 1 when unset. */
  weight?: number;
  zone?: string;
}

/** One running copy of a service, as the registry stores it. */
export interface ServiceInstance {
  service: string;
  instanceId: string;
  /** Base URL that upstream paths are appended to, without a trailing slash. */
  url: string;
  healthUrl: string;
  metadata: InstanceMetadata;
  registeredAt: number;
  /** When the instance last registered (its heartbeat), epoch ms; set by the registry. */
  lastHeartbeatAt?: number;
}

export interface ServiceSummary {
  name: string;
  total_instances: number;
  healthy_instances: number;
  status: 'healthy' | 'unhealthy';
}

/** The registry seen from both sides: services register into it, the gateway reads it. */
export interface ServiceRegistry {
  /** Adds or refreshes an instance; it expires after `ttlSeconds` without another call. */
  register(instance: ServiceInstance, ttlSeconds: number): Promise<void>;
  /** Removes an instance at once. */
  deregister(service: string, instanceId: string): Promise<void>;
  /** The live (unexpired) instances of a service. */
  listInstances(service: string): Promise<ServiceInstance[]>;
  /**
   * The names of the services seen registering. In Redis the watchers of `onChange` (the
   * gateways) keep this index, so a service's login needs no write outside its own keys.
   */
  listServiceNames(): Promise<string[]>;
  /** Calls `listener` whenever an instance is added or removed, from any process. */
  onChange(listener: (service: string) => void): Promise<() => Promise<void>>;
}
