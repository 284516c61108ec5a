import { RetryBudget } from './retry-budget';

describe('RetryBudget', () => {
  it('allows at most ratio x requests in the window, with a floor', () => {
    let now = 0;
    const budget = new RetryBudget(0.1, 10_000, 3, () => now);
    for (let i = 0; i < 100; i++) budget.recordRequest();
    const granted = Array.from({ length: 50 }, () => budget.tryAcquire()).filter(Boolean);
    expect(granted).toHaveLength(10);
    now = 11_000;
    expect(budget.tryAcquire()).toBe(true);
    expect(Array.from({ length: 5 }, () => budget.tryAcquire()).filter(Boolean)).toHaveLength(2);
  });

  it('never retries with a zero ratio', () => {
    const budget = new RetryBudget(0);
    budget.recordRequest();
    expect(budget.tryAcquire()).toBe(false);
  });
});
