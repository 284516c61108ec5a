import type { BreakerOptions, CircuitBreaker, Permit, Transition } from './breaker.types';

/** The options the contract expects a breaker to be built with. */
export const CONTRACT_BREAKER_OPTIONS: BreakerOptions = {
  failureThreshold: 3,
  recoveryMs: 200,
  halfOpenProbes: 1,
  settingsFor: (service) => (service === 'strict' ? { failureThreshold: 1 } : undefined),
};

const closed: Permit = { allowed: true, probe: false };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What every CircuitBreaker does, built with `CONTRACT_BREAKER_OPTIONS`. */
export function describeCircuitBreakerContract(
  name: string,
  setup: () => Promise<{
    breaker: CircuitBreaker;
    transitions: Transition[];
    teardown?: () => Promise<void>;
  }>,
): void {
  describe(`${name} (CircuitBreaker contract)`, () => {
    let ctx: Awaited<ReturnType<typeof setup>>;
    beforeEach(async () => {
      ctx = await setup();
    });
    afterEach(() => ctx.teardown?.());

    it('opens after the threshold of consecutive failures, and a success resets the count', async () => {
      await ctx.breaker.record('s', false, closed);
      await ctx.breaker.record('s', false, closed);
      await ctx.breaker.record('s', true, closed);
      await ctx.breaker.record('s', false, closed);
      await ctx.breaker.record('s', false, closed);
      expect((await ctx.breaker.snapshot('s')).state).toBe('closed');
      await ctx.breaker.record('s', false, closed);
      expect((await ctx.breaker.snapshot('s')).state).toBe('open');
      const permit = await ctx.breaker.acquire('s');
      expect(permit.allowed).toBe(false);
    });

    it("applies a service's own settings to it alone", async () => {
      await ctx.breaker.record('strict', false, closed);
      expect((await ctx.breaker.snapshot('strict')).state).toBe('open');
      await ctx.breaker.record('s', false, closed);
      expect((await ctx.breaker.snapshot('s')).state).toBe('closed');
    });

    it('lets one probe through after recovery; success closes, failure reopens', async () => {
      for (let i = 0; i < 3; i++) await ctx.breaker.record('s', false, closed);
      await sleep(250);
      const probe = await ctx.breaker.acquire('s');
      expect(probe).toEqual({ allowed: true, probe: true });
      expect((await ctx.breaker.acquire('s')).allowed).toBe(false);
      await ctx.breaker.record('s', false, probe);
      expect((await ctx.breaker.snapshot('s')).state).toBe('open');
      await sleep(250);
      const second = await ctx.breaker.acquire('s');
      await ctx.breaker.record('s', true, second);
      expect((await ctx.breaker.snapshot('s')).state).toBe('closed');
      expect(ctx.transitions.map((t) => t.to)).toEqual([
        'open',
        'half_open',
        'open',
        'half_open',
        'closed',
      ]);
    });

    it('gives a probe that proved nothing its slot back, without closing or reopening', async () => {
      for (let i = 0; i < 3; i++) await ctx.breaker.record('s', false, closed);
      await sleep(250);
      const probe = await ctx.breaker.acquire('s');
      expect(probe).toEqual({ allowed: true, probe: true });
      expect((await ctx.breaker.acquire('s')).allowed).toBe(false);
      await ctx.breaker.release('s', probe);
      expect((await ctx.breaker.snapshot('s')).state).toBe('half_open');
      const next = await ctx.breaker.acquire('s');
      expect(next).toEqual({ allowed: true, probe: true });
      await ctx.breaker.release('s', closed);
      expect((await ctx.breaker.acquire('s')).allowed).toBe(false);
    });

    it('keeps services apart', async () => {
      for (let i = 0; i < 3; i++) await ctx.breaker.record('a', false, closed);
      expect(await ctx.breaker.acquire('b')).toEqual(closed);
    });
  });
}
