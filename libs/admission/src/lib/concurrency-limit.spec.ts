import { concurrencyLimitContract } from './concurrency-limit.contract';
import { FixedLimit } from './concurrency-limit';
import { GradientLimit } from './gradient.limit';

concurrencyLimitContract('FixedLimit', () => new FixedLimit(32), { min: 32, max: 32 });
concurrencyLimitContract(
  'GradientLimit',
  () => new GradientLimit({ initial: 50, min: 10, max: 400 }),
  { min: 10, max: 400 },
);

describe('FixedLimit', () => {
  it('refuses a limit that is not a whole number of at least 1', () => {
    expect(() => new FixedLimit(0)).toThrow('whole number');
    expect(() => new FixedLimit(2.5)).toThrow('whole number');
  });
});

describe('GradientLimit', () => {
  /** Feeds `windows` windows of 20 samples, 10 ms apart, at `rtt` ms with `inflight` in flight. */
  const feed = (
    limit: GradientLimit,
    clock: { now: number },
    windows: number,
    rtt: number,
    inflight: (current: number) => number,
  ) => {
    for (let w = 0; w < windows; w++) {
      for (let i = 0; i < 20; i++) {
        clock.now += 10;
        limit.sample(rtt, inflight(limit.current), clock.now);
      }
    }
  };

  it('grows while calls keep their usual time and the limit is in use', () => {
    const limit = new GradientLimit({ initial: 20, min: 5, max: 1000 });
    const clock = { now: 0 };
    feed(limit, clock, 200, 5, (current) => current);
    expect(limit.current).toBeGreaterThan(200);
  });

  it('does not grow a limit that is not in use', () => {
    const limit = new GradientLimit({ initial: 100, min: 5, max: 1000 });
    const clock = { now: 0 };
    feed(limit, clock, 200, 5, () => 10);
    expect(limit.current).toBe(100);
  });

  it('comes down when calls take much longer than usual, and recovers after', () => {
    const limit = new GradientLimit({ initial: 200, min: 10, max: 1000 });
    const clock = { now: 0 };
    feed(limit, clock, 60, 5, (current) => current);
    const before = limit.current;
    feed(limit, clock, 30, 50, (current) => current);
    const during = limit.current;
    expect(during).toBeLessThan(before / 4);
    feed(limit, clock, 300, 5, (current) => current);
    expect(limit.current).toBeGreaterThan(during * 2);
  });

  it('never goes below min nor above max', () => {
    const limit = new GradientLimit({ initial: 50, min: 40, max: 60 });
    const clock = { now: 0 };
    feed(limit, clock, 100, 5, (current) => current);
    expect(limit.current).toBe(60);
    feed(limit, clock, 100, 500, (current) => current);
    expect(limit.current).toBe(40);
  });

  it('refuses bounds that do not hold together', () => {
    expect(() => new GradientLimit({ initial: 5, min: 10, max: 20 })).toThrow('min ≤ initial');
  });
});
