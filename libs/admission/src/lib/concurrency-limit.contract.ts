import type { ConcurrencyLimit } from './concurrency-limit';

/**
 * What every limit promises, whatever it learns: a whole number within its bounds, whatever
 * the samples, including absurd ones.
 */
export function concurrencyLimitContract(
  name: string,
  create: () => ConcurrencyLimit,
  bounds: { min: number; max: number },
): void {
  describe(`${name} (concurrency limit contract)`, () => {
    it('starts as a whole number within its bounds', () => {
      const limit = create();
      expect(Number.isInteger(limit.current)).toBe(true);
      expect(limit.current).toBeGreaterThanOrEqual(bounds.min);
      expect(limit.current).toBeLessThanOrEqual(bounds.max);
    });

    it('stays within its bounds under any samples', () => {
      const limit = create();
      let now = 0;
      const rtts = [0, 0.001, 1, 5, 5000, 1e9, 3, 2, 1];
      for (let i = 0; i < 5000; i++) {
        now += 7;
        limit.sample(rtts[i % rtts.length] * (1 + (i % 13)), 1 + (i % 700), now);
        expect(limit.current).toBeGreaterThanOrEqual(bounds.min);
        expect(limit.current).toBeLessThanOrEqual(bounds.max);
        expect(Number.isInteger(limit.current)).toBe(true);
      }
    });
  });
}
