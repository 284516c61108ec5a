import { waitUntil } from '@mqgw/testing';
import type { ServiceInstance, ServiceRegistry } from './service-instance';

const instance = (id: string, service = 'svc'): ServiceInstance => ({
  service,
  instanceId: id,
  url: `http://127.0.0.1:1/${id}`,
  healthUrl: `http://127.0.0.1:1/${id}/health`,
  metadata: { weight: 2 },
  registeredAt: 1,
});

/** What every ServiceRegistry does; each implementation's spec runs it. */
export function describeServiceRegistryContract(
  name: string,
  setup: () => Promise<{ registry: ServiceRegistry; teardown?: () => Promise<void> }>,
): void {
  describe(`${name} (ServiceRegistry contract)`, () => {
    let ctx: Awaited<ReturnType<typeof setup>>;
    beforeEach(async () => {
      ctx = await setup();
    });
    afterEach(() => ctx.teardown?.());

    it('lists what was registered, metadata included, and the names a watcher saw', async () => {
      const stop = await ctx.registry.onChange(() => undefined);
      await ctx.registry.register(instance('a'), 15);
      await ctx.registry.register(instance('b'), 15);
      await ctx.registry.register(instance('c', 'other'), 15);
      const listed = await ctx.registry.listInstances('svc');
      expect(listed.map((i) => i.instanceId).sort()).toEqual(['a', 'b']);
      expect(listed[0].metadata).toEqual({ weight: 2 });
      await waitUntil('both names in the index', async () => {
        return (await ctx.registry.listServiceNames()).join() === 'other,svc';
      });
      await stop();
    });

    it('forgets an instance whose TTL ran out, and one that deregistered', async () => {
      await ctx.registry.register(instance('short'), 0.15);
      await ctx.registry.register(instance('long'), 15);
      await waitUntil(
        'the short-lived instance to expire',
        async () => (await ctx.registry.listInstances('svc')).length === 1,
      );
      expect((await ctx.registry.listInstances('svc')).map((i) => i.instanceId)).toEqual(['long']);
      await ctx.registry.deregister('svc', 'long');
      expect(await ctx.registry.listInstances('svc')).toEqual([]);
    });

    it('announces new instances and departures, not heartbeats', async () => {
      const events: string[] = [];
      const stop = await ctx.registry.onChange((service) => events.push(service));
      await ctx.registry.register(instance('a'), 15);
      await ctx.registry.register(instance('a'), 15);
      await ctx.registry.register(instance('z', 'other'), 15);
      await ctx.registry.deregister('svc', 'a');
      await ctx.registry.register(instance('end', 'last'), 15);
      // A Redis Cluster client publishes through any node, so events may arrive in another
      // order there; one instance of Redis and the memory registry keep it. A heartbeat's
      // event would have been sent before the last one.
      const expected = ['svc', 'other', 'svc', 'last'];
      await waitUntil('every event', async () =>
        expected.every(
          (e) => events.filter((x) => x === e).length >= expected.filter((x) => x === e).length,
        ),
      );
      expect([...events].sort()).toEqual([...expected].sort());
      await stop();
    });
  });
}
