import { RoundRobinBalancer } from './round-robin.balancer';

describe('RoundRobinBalancer', () => {
  const three = [{ instanceId: 'a' }, { instanceId: 'b' }, { instanceId: 'c' }];

  it('spreads calls evenly, within one, over three instances', () => {
    const balancer = new RoundRobinBalancer();
    const counts = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      const picked = balancer.pick('svc', three)!.instanceId;
      counts.set(picked, (counts.get(picked) ?? 0) + 1);
    }
    const values = [...counts.values()];
    expect(values).toHaveLength(3);
    expect(Math.max(...values) - Math.min(...values)).toBeLessThanOrEqual(1);
  });

  it('keeps a counter per service and returns nothing for no instances', () => {
    const balancer = new RoundRobinBalancer();
    expect(balancer.pick('x', three)?.instanceId).toBe('a');
    expect(balancer.pick('y', three)?.instanceId).toBe('a');
    expect(balancer.pick('x', three)?.instanceId).toBe('b');
    expect(balancer.pick('x', [])).toBeUndefined();
  });
});
