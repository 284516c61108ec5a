import type { ServiceInstance, ServiceRegistry } from './service-instance';

/** One-process registry with the same expiry rules as Redis; for tests and the embedded mode. */
export class InMemoryServiceRegistry implements ServiceRegistry {
  private readonly entries = new Map<
    string,
    Map<string, { instance: ServiceInstance; expiresAt: number }>
  >();
  private readonly listeners = new Set<(service: string) => void>();

  constructor(private readonly now: () => number = Date.now) {}

  async register(instance: ServiceInstance, ttlSeconds: number): Promise<void> {
    const bucket = this.bucket(instance.service);
    this.prune(instance.service);
    const isNew = !bucket.has(instance.instanceId);
    bucket.set(instance.instanceId, {
      instance: { ...instance, lastHeartbeatAt: this.now() },
      expiresAt: this.now() + ttlSeconds * 1000,
    });
    if (isNew) this.emit(instance.service);
  }

  async deregister(service: string, instanceId: string): Promise<void> {
    this.bucket(service).delete(instanceId);
    this.emit(service);
  }

  async listInstances(service: string): Promise<ServiceInstance[]> {
    this.prune(service);
    return [...this.bucket(service).values()].map((e) => e.instance);
  }

  async listServiceNames(): Promise<string[]> {
    return [...this.entries.keys()].sort();
  }

  async onChange(listener: (service: string) => void): Promise<() => Promise<void>> {
    this.listeners.add(listener);
    return async () => {
      this.listeners.delete(listener);
    };
  }

  private emit(service: string): void {
    for (const listener of this.listeners) listener(service);
  }

  private prune(service: string): void {
    const now = this.now();
    for (const [id, entry] of this.bucket(service))
      if (entry.expiresAt <= now) this.bucket(service).delete(id);
  }

  private bucket(service: string) {
    let bucket = this.entries.get(service);
    if (!bucket) this.entries.set(service, (bucket = new Map()));
    return bucket;
  }
}
