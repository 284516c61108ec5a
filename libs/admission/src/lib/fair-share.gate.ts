import type { ConcurrencyLimit } from './concurrency-limit';

/**
 * Admission with fair shares of a concurrency limit. Below half the limit anyone is
 * admitted; past it, a caller only up to its equal share (the limit over the callers holding
 * some), so half the limit is kept for the callers that come back between their requests,
 * and a flood is held to its share. A lone caller may use the whole limit. Callers under
 * their share are admitted past the limit too, up to `hardMax` and never beyond. Refusals
 * tell an adaptive limit that it is in use, so it grows while calls stay fast. Memory is
 * bounded by `hardMax`: only callers with requests in are remembered.
 */
export class FairShareGate {
  private admitted = 0;
  private readonly held = new Map<string, number>();
  /** Whether a request was refused since the limit last heard of a finished one. */
  private refusedSinceSample = false;

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
    if (this.admitted >= this.hardMax) return this.refuse();
    const mine = this.held.get(caller) ?? 0;
    const limit = this.limit.current;
    if (this.admitted >= limit / 2) {
      const holders = this.held.size + (mine === 0 ? 1 : 0);
      if (mine + 1 > Math.max(1, limit / holders)) return this.refuse();
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
    if (rttMs === undefined) return;
    // A refusal is demand the limit did not let in: the limit is in use, whatever is in
    // flight (shares can hold that near half of it), so it may grow while calls stay fast.
    const inflight = this.refusedSinceSample
      ? Math.max(this.admitted + 1, this.limit.current)
      : this.admitted + 1;
    this.refusedSinceSample = false;
    this.limit.sample(rttMs, inflight, now);
  }

  private refuse(): false {
    this.refusedSinceSample = true;
    return false;
  }
}
