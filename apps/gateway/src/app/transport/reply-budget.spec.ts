import { ReplyBudget } from './reply-budget';

describe('ReplyBudget', () => {
  it('gives each topic a burst of twice its rate, then its rate', () => {
    const budget = new ReplyBudget(5);
    let now = 0;
    const taken = () => {
      let n = 0;
      for (let i = 0; i < 100; i++) if (budget.take('replies/alice/x', now)) n++;
      return n;
    };
    expect(taken()).toBe(10);
    now += 1000;
    expect(taken()).toBe(5);
    // Another topic has a budget of its own.
    expect(budget.take('replies/bob/x', now)).toBe(true);
  });
});
