import { randomUUID } from 'node:crypto';
import type { InstanceMetadata, ServiceInstance, ServiceRegistry } from './service-instance';

export interface SelfRegistrationOptions {
  /** Names to register under; a service may answer for more than one (e.g. `user-service-v2`). */
  names: readonly string[];
  url: string;
  healthUrl: string;
  instanceId?: string;
  metadata?: InstanceMetadata;
  heartbeatSeconds: number;
  ttlSeconds: number;
  onError?: (error: unknown) => void;
}

/** Keeps one process registered: register, heartbeat until stopped, then deregister. */
export class SelfRegistration {
  readonly instanceId: string;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly registry: ServiceRegistry,
    private readonly options: SelfRegistrationOptions,
  ) {
    this.instanceId = options.instanceId ?? randomUUID();
  }

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => {
      this.beat().catch((error) => this.options.onError?.(error));
    }, this.options.heartbeatSeconds * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all(
      this.options.names.map((name) => this.registry.deregister(name, this.instanceId)),
    );
  }

  private async beat(): Promise<void> {
    const registeredAt = Date.now();
    await Promise.all(
      this.options.names.map((service) => {
        const instance: ServiceInstance = {
          service,
          instanceId: this.instanceId,
          url: this.options.url.replace(/\/+$/, ''),
          healthUrl: this.options.healthUrl,
          metadata: this.options.metadata ?? {},
          registeredAt,
        };
        return this.registry.register(instance, this.options.ttlSeconds);
      }),
    );
  }
}
