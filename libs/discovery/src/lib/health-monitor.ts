export interface HealthMonitorOptions {
  intervalMs: number;
  timeoutMs: number;
  /** Consecutive failed checks that mark an instance unhealthy. */
  unhealthyAfter: number;
  /** Consecutive good checks that mark it healthy again. */
  healthyAfter: number;
  onChange?: (url: string, healthy: boolean) => void;
  probe?: (url: string, timeoutMs: number) => Promise<boolean>;
}

interface State {
  healthy: boolean;
  failures: number;
  successes: number;
}

async function httpProbe(url: string, timeoutMs: number): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * Active health checks: calls each instance's health URL on an interval and keeps a
 * healthy flag with hysteresis, so one slow answer does not flap routing.
 */
export class HealthMonitor {
  private readonly states = new Map<string, State>();
  private timer?: NodeJS.Timeout;
  private targets: () => readonly string[] = () => [];
  private running?: Promise<void>;

  constructor(private readonly options: HealthMonitorOptions) {}

  start(targets: () => readonly string[]): void {
    this.targets = targets;
    this.timer = setInterval(() => void this.checkAll(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Unknown URLs count as healthy until checked. */
  isHealthy(healthUrl: string): boolean {
    return this.states.get(healthUrl)?.healthy ?? true;
  }

  checkAll(): Promise<void> {
    this.running ??= this.runChecks().finally(() => (this.running = undefined));
    return this.running;
  }

  private async runChecks(): Promise<void> {
    const urls = new Set(this.targets());
    for (const url of this.states.keys()) if (!urls.has(url)) this.states.delete(url);
    const probe = this.options.probe ?? httpProbe;
    await Promise.all(
      [...urls].map(async (url) => {
        const ok = await probe(url, this.options.timeoutMs);
        const state = this.states.get(url) ?? { healthy: true, failures: 0, successes: 0 };
        if (ok) {
          state.successes++;
          state.failures = 0;
          if (!state.healthy && state.successes >= this.options.healthyAfter)
            this.flip(url, state, true);
        } else {
          state.failures++;
          state.successes = 0;
          if (state.healthy && state.failures >= this.options.unhealthyAfter)
            this.flip(url, state, false);
        }
        this.states.set(url, state);
      }),
    );
  }

  private flip(url: string, state: State, healthy: boolean): void {
    state.healthy = healthy;
    this.options.onChange?.(url, healthy);
  }
}
