import {
  settingsOf,
  type BreakerOptions,
  type BreakerSnapshot,
  type CircuitBreaker,
  type Permit,
  type Transition,
} from './breaker.types';

interface State extends BreakerSnapshot {
  probes: number;
}

/**
 * The same state machine as the Redis breaker, in this process: for the embedded mode,
 * where one gateway is the whole deployment.
 */
export class InMemoryCircuitBreaker implements CircuitBreaker {
  private readonly states = new Map<string, State>();

  constructor(
    private readonly options: BreakerOptions & {
      onTransition?: (t: Transition) => void;
      now?: () => number;
    },
  ) {}

  async acquire(service: string): Promise<Permit> {
    const s = this.state(service);
    if (s.state === 'closed') return { allowed: true, probe: false };
    const now = this.now();
    const o = settingsOf(this.options, service);
    if (s.state === 'open') {
      if (now - s.openedAt < o.recoveryMs)
        return { allowed: false, retryAfterMs: s.openedAt + o.recoveryMs - now };
      this.move(service, s, 'half_open');
      s.probes = 1;
      return { allowed: true, probe: true };
    }
    if (s.probes < o.halfOpenProbes) {
      s.probes++;
      return { allowed: true, probe: true };
    }
    return { allowed: false, retryAfterMs: 1000 };
  }

  async record(service: string, success: boolean, permit: Permit): Promise<void> {
    const s = this.state(service);
    const probe = permit.allowed && permit.probe;
    if (success) {
      if (s.state === 'half_open' && probe) {
        this.move(service, s, 'closed');
        Object.assign(s, { failures: 0, openedAt: 0, probes: 0 });
      } else if (s.state === 'closed') s.failures = 0;
      return;
    }
    if (s.state === 'half_open') {
      if (probe) {
        this.move(service, s, 'open');
        Object.assign(s, { openedAt: this.now(), probes: 0 });
      }
      return;
    }
    if (s.state === 'open') return;
    s.failures++;
    if (s.failures >= settingsOf(this.options, service).failureThreshold) {
      this.move(service, s, 'open');
      Object.assign(s, { openedAt: this.now(), failures: 0, probes: 0 });
    }
  }

  async release(service: string, permit: Permit): Promise<void> {
    const s = this.state(service);
    if (permit.allowed && permit.probe && s.state === 'half_open' && s.probes > 0) s.probes--;
  }

  async snapshot(service: string): Promise<BreakerSnapshot> {
    const { state, failures, openedAt } = this.state(service);
    return { state, failures, openedAt };
  }

  private move(service: string, s: State, to: State['state']): void {
    const from = s.state;
    s.state = to;
    this.options.onTransition?.({ service, from, to });
  }

  private state(service: string): State {
    let s = this.states.get(service);
    if (!s)
      this.states.set(service, (s = { state: 'closed', failures: 0, openedAt: 0, probes: 0 }));
    return s;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}
