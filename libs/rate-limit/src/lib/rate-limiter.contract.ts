import type { RateLimiter } from './rate-limiter';

/**
 * The behaviour every RateLimiter must show; each implementation's spec runs it.
 * `sleep` lets in-memory limiters use a fake clock.
 */
export function describeRateLimiterContract(
  name: string,
  setup: () => Promise<{
    limiter: RateLimiter;
    sleep: (ms: number) => Promise<void>;
    teardown?: () => Promise<void>;
  }>,
): void {
  describe(`${name} (RateLimiter contract)`, () => {
    let ctx: Awaited<ReturnType<typeof setup>>;
    beforeEach(async () => {
      ctx = await setup();
    });
    afterEach(async () => {
      await ctx.teardown?.();
    });

    it('admits exactly `limit` of many concurrent requests', async () => {
      const decisions = await Promise.all(
        Array.from({ length: 50 }, () => ctx.limiter.consume('p1', { limit: 5, windowMs: 60_000 })),
      );
      expect(decisions.filter((d) => d.allowed)).toHaveLength(5);
      const refused = decisions.filter((d) => !d.allowed);
      expect(refused.every((d) => d.retryAfterMs > 0 && d.retryAfterMs <= 60_000)).toBe(true);
    });

    it('reports remaining capacity and keeps buckets apart', async () => {
      const first = await ctx.limiter.consume('a', { limit: 3, windowMs: 60_000 });
      expect(first).toEqual({ allowed: true, remaining: 2, retryAfterMs: 0 });
      expect((await ctx.limiter.consume('b', { limit: 3, windowMs: 60_000 })).remaining).toBe(2);
    });

    it('admits again once the window has slid past', async () => {
      const limit = { limit: 2, windowMs: 200 };
      await ctx.limiter.consume('w', limit);
      await ctx.limiter.consume('w', limit);
      expect((await ctx.limiter.consume('w', limit)).allowed).toBe(false);
      await ctx.sleep(250);
      expect((await ctx.limiter.consume('w', limit)).allowed).toBe(true);
    });
  });
}
