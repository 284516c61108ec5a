import { SampledLog } from './sampled-log';

describe('SampledLog', () => {
  it('writes the first lines of a kind per window, then one count of the rest', () => {
    const lines: string[] = [];
    let now = 0;
    const log = new SampledLog((l) => lines.push(String(l)), {
      perWindow: 2,
      windowMs: 1000,
      now: () => now,
    });
    for (let i = 0; i < 10; i++) log.log('refused', () => `refused ${i}`);
    log.log('other', () => 'other 0');
    expect(lines).toEqual(['refused 0', 'refused 1', 'other 0']);
    now = 1000;
    log.log('refused', () => 'refused 10');
    expect(lines.slice(3)).toEqual(['refused: 8 more like it in 1 s, not logged', 'refused 10']);
  });

  it('builds no message for a line it does not write', () => {
    const log = new SampledLog(() => undefined, { perWindow: 0 });
    let built = 0;
    for (let i = 0; i < 100; i++) log.log('k', () => String(++built));
    expect(built).toBe(0);
  });

  it('writes pending counts on flush', () => {
    const lines: string[] = [];
    const log = new SampledLog((l) => lines.push(String(l)), { perWindow: 1, windowMs: 10_000 });
    log.log('k', () => 'first');
    log.log('k', () => 'second');
    log.flush();
    expect(lines).toEqual(['first', 'k: 1 more like it in 10 s, not logged']);
  });
});
