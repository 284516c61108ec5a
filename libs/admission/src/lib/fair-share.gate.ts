import type { ConcurrencyLimit } from './concurrency-limit';

/**
 * Admission with fair shares of a concurrency limit. Below half the limit anyone is
 * admitted; past it, a caller only up to its equal share (the limit over the callers holding
 * some). So one caller's flood cannot take the slots that lighter callers come back for,
 * while a lone caller, or any caller on a quiet gateway, may use the whole limit. Callers
 * under their share are admitted past the limit too, up to `hardMax` and never beyond.
 * Memory is bounded by it: only callers with requests in are remembered.
 */
export class FairShareGate {
  private admitted = 0;
  private readonly held = new Map<string, number>();

  constructor(
    private readonly limit: ConcurrencyLimit,
    private readonly hardMax: number,
  ) {}

  get inFlight(): number {
    return this.admitted;
  }

  get current(): number {
    return this.limit.current;
  }

  /** The callers holding a share right now. */
  get callers(): number {
    return this.held.size;
  }

  /** Admits one request of `caller`, or returns false. */
  tryAdmit(caller: string): boolean {
    if (this.admitted >= this.hardMax) return false;
    const mine = this.held.get(caller) ?? 0;
    const limit = this.limit.current;
    if (this.admitted >= limit / 2) {
      const holders = this.held.size + (mine === 0 ? 1 : 0);
      if (mine + 1 > Math.max(1, limit / holders)) return false;
    }
    this.admitted++;
    this.held.set(caller, mine + 1);
    return true;
  }

  /** One admitted request of `caller` is done; `rttMs` feeds the limit when given. */
  leave(caller: string, rttMs: number | undefined, now: number): void {
    const mine = this.held.get(caller);
    if (mine === undefined) return;
    if (mine <= 1) this.held.delete(caller);
    else this.held.set(caller, mine - 1);
    this.admitted--;
    if (rttMs !== undefined) this.limit.sample(rttMs, this.admitted + 1, now);
  }
}
