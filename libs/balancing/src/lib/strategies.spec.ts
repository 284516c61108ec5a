import { LeastOutstandingBalancer } from './least-outstanding.balancer';
import { WeightedBalancer } from './weighted.balancer';
import { PerServiceBalancer } from './balancer.factory';

const inst = (id: string, weight?: number) => ({ instanceId: id, metadata: { weight } });

describe('LeastOutstandingBalancer', () => {
  it('prefers the less loaded of two candidates', () => {
    const balancer = new LeastOutstandingBalancer();
    const pair = [inst('busy'), inst('idle')];
    for (let i = 0; i < 5; i++) balancer.track('busy', 1);
    for (let i = 0; i < 20; i++) expect(balancer.pick('s', pair)?.instanceId).toBe('idle');
    for (let i = 0; i < 5; i++) balancer.track('busy', -1);
    expect(balancer.load('busy')).toBe(0);
  });

  it('spreads load when nothing is outstanding, and handles one or no instance', () => {
    const balancer = new LeastOutstandingBalancer();
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++)
      seen.add(balancer.pick('s', [inst('a'), inst('b'), inst('c')])!.instanceId);
    expect(seen.size).toBe(3);
    expect(balancer.pick('s', [inst('only')])?.instanceId).toBe('only');
    expect(balancer.pick('s', [])).toBeUndefined();
  });
});

describe('WeightedBalancer', () => {
  it('picks each instance exactly weight times per cycle, interleaved', () => {
    const balancer = new WeightedBalancer();
    const set = [inst('a', 5), inst('b', 1), inst('c', 1)];
    const picks = Array.from({ length: 7 }, () => balancer.pick('s', set)!.instanceId);
    expect(picks.filter((p) => p === 'a')).toHaveLength(5);
    expect(picks.filter((p) => p === 'b')).toHaveLength(1);
    expect(picks.join('')).toBe('aabacaa');
  });

  it('treats a missing or bad weight as 1', () => {
    const balancer = new WeightedBalancer();
    const picks = Array.from(
      { length: 4 },
      () => balancer.pick('s', [inst('a'), inst('b', -3)])!.instanceId,
    );
    expect(picks.sort()).toEqual(['a', 'a', 'b', 'b']);
  });
});

describe('PerServiceBalancer', () => {
  it('uses the override for its service and the default elsewhere', () => {
    const balancer = new PerServiceBalancer('round-robin', { heavy: 'weighted' });
    const set = [inst('a', 3), inst('b', 1)];
    const heavy = Array.from({ length: 4 }, () => balancer.pick('heavy', set)!.instanceId);
    const plain = Array.from({ length: 4 }, () => balancer.pick('plain', set)!.instanceId);
    expect(heavy.filter((p) => p === 'a')).toHaveLength(3);
    expect(plain).toEqual(['a', 'b', 'a', 'b']);
  });
});
