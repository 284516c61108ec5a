import type { HealthMonitor } from './health-monitor';
import type { ServiceInstance, ServiceRegistry, ServiceSummary } from './service-instance';

export interface InstanceDirectoryOptions {
  /** Full re-read of the registry, as a safety net behind change events. */
  refreshMs: number;
  /** Instances from configuration, for deployments where nothing self-registers. */
  staticInstances?: readonly ServiceInstance[];
  /** Services to track even before anything registers (e.g. those in the route table). */
  services?: readonly string[];
  onError?: (error: unknown) => void;
  /** Active health checks; unhealthy instances leave routing until they recover. */
  health?: HealthMonitor;
  now?: () => number;
}

/**
 * The gateway's in-memory view of the registry. The hot path reads `instances()` from
 * memory; Redis is read only on change events and on a slow poll. When Redis is
 * unreachable the last known view keeps serving.
 */
export class InstanceDirectory {
  private readonly byService = new Map<string, ServiceInstance[]>();
  /** What the registry last said, per service, before static instances are added. */
  private readonly live = new Map<string, ServiceInstance[]>();
  private readonly names = new Set<string>();
  private staticInstances: readonly ServiceInstance[];
  private readonly ejected = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private unsubscribe?: () => Promise<void>;

  constructor(
    private readonly registry: ServiceRegistry,
    private readonly options: InstanceDirectoryOptions,
  ) {
    this.staticInstances = options.staticInstances ?? [];
    this.reconfigure(options.services ?? [], this.staticInstances);
  }

  /**
   * Tracks more services and replaces the static instances (the route table changed).
   * Services tracked before stay tracked: the registry may still list them.
   */
  reconfigure(services: readonly string[], staticInstances: readonly ServiceInstance[]): void {
    this.staticInstances = staticInstances;
    for (const name of services) this.names.add(name);
    for (const instance of staticInstances) this.names.add(instance.service);
    for (const name of this.names) {
      this.byService.set(name, this.withStatic(name, this.live.get(name) ?? []));
    }
  }

  async start(): Promise<void> {
    // A registry that is down at boot is not fatal: static instances serve, and the poll
    // retries both the read and the subscription to change events.
    await this.subscribe();
    await this.refresh().catch((error) => this.options.onError?.(error));
    this.timer = setInterval(() => {
      if (!this.unsubscribe) void this.subscribe();
      this.refresh().catch((error) => this.options.onError?.(error));
    }, this.options.refreshMs);
    this.timer.unref();
    this.options.health?.start(() => [...this.byService.values()].flat().map((i) => i.healthUrl));
  }

  private subscribing = false;

  private async subscribe(): Promise<void> {
    if (this.subscribing) return;
    this.subscribing = true;
    try {
      this.unsubscribe = await this.registry.onChange((service) => {
        this.names.add(service);
        this.refreshService(service).catch((error) => this.options.onError?.(error));
      });
    } catch (error) {
      this.options.onError?.(error);
    } finally {
      this.subscribing = false;
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.options.health?.stop();
    await this.unsubscribe?.();
  }

  /**
   * Live, healthy instances of a service, from memory. Ejected instances are left out
   * unless that would leave none (then all are tried: routing on stale doubt beats none).
   */
  instances(service: string): readonly ServiceInstance[] {
    const all = this.byService.get(service) ?? [];
    const health = this.options.health;
    const healthy = health ? all.filter((i) => health.isHealthy(i.healthUrl)) : all;
    if (this.ejected.size === 0) return healthy;
    const now = (this.options.now ?? Date.now)();
    const kept = healthy.filter((i) => {
      const until = this.ejected.get(i.instanceId);
      if (until === undefined) return true;
      if (until > now) return false;
      this.ejected.delete(i.instanceId);
      return true;
    });
    return kept.length > 0 ? kept : healthy;
  }

  /**
   * Takes an instance out of this process's routing for `ms` (passive health: the caller
   * saw it refuse a connection). Registry and active checks still decide after that.
   */
  eject(instanceId: string, ms: number): void {
    if (ms > 0) this.ejected.set(instanceId, (this.options.now ?? Date.now)() + ms);
  }

  /** Until when this process keeps an instance out of routing (epoch ms), if it does. */
  ejectedUntil(instanceId: string): number | undefined {
    const until = this.ejected.get(instanceId);
    return until !== undefined && until > (this.options.now ?? Date.now)() ? until : undefined;
  }

  /** Whether the active health checks consider an instance healthy (true without checks). */
  isHealthy(instance: ServiceInstance): boolean {
    return this.options.health?.isHealthy(instance.healthUrl) ?? true;
  }

  /** Every live instance, healthy or not. */
  allInstances(service: string): readonly ServiceInstance[] {
    return this.byService.get(service) ?? [];
  }

  serviceNames(): string[] {
    return [...this.names].sort();
  }

  /** Instance counts of `names` (default: every service known). */
  summaries(names: readonly string[] = this.serviceNames()): ServiceSummary[] {
    return names.map((name) => {
      const healthy = this.instances(name).length;
      return {
        name,
        total_instances: this.allInstances(name).length,
        healthy_instances: healthy,
        status: healthy > 0 ? 'healthy' : 'unhealthy',
      };
    });
  }

  async refresh(): Promise<void> {
    for (const name of await this.registry.listServiceNames()) this.names.add(name);
    await Promise.all([...this.names].map((name) => this.refreshService(name)));
  }

  private async refreshService(service: string): Promise<void> {
    const live = await this.registry.listInstances(service);
    this.live.set(service, live);
    this.byService.set(service, this.withStatic(service, live));
  }

  private withStatic(service: string, live: ServiceInstance[]): ServiceInstance[] {
    const fixed = this.staticInstances.filter((i) => i.service === service);
    const seen = new Set(live.map((i) => i.url));
    return [...live, ...fixed.filter((i) => !seen.has(i.url))];
  }
}

/**
 * Parses `SERVICES`: `name=url` pairs separated by commas; a name may repeat for several
 * instances. Returns `undefined` for the offending pair so config can name it.
 */
export function parseStaticServices(value: string): ServiceInstance[] | undefined {
  const out: ServiceInstance[] = [];
  for (const [index, pair] of value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .entries()) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return undefined;
    const service = pair.slice(0, eq).trim();
    const url = pair
      .slice(eq + 1)
      .trim()
      .replace(/\/+$/, '');
    if (!/^[a-z0-9][a-z0-9-]*$/i.test(service)) return undefined;
    try {
      const parsed = new URL(url);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
    } catch {
      return undefined;
    }
    out.push(staticInstance(service, url, `static-${index}`));
  }
  return out;
}

/** An instance from configuration rather than the registry; `url` without a trailing /. */
export function staticInstance(service: string, url: string, instanceId: string): ServiceInstance {
  return { service, instanceId, url, healthUrl: `${url}/health`, metadata: {}, registeredAt: 0 };
}
