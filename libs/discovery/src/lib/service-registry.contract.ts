import type { ServiceInstance, ServiceRegistry } from './service-instance';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
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

    it('lists what was registered, metadata included', async () => {
      await ctx.registry.register(instance('a'), 15);
      await ctx.registry.register(instance('b'), 15);
      await ctx.registry.register(instance('c', 'other'), 15);
      const listed = await ctx.registry.listInstances('svc');
      expect(listed.map((i) => i.instanceId).sort()).toEqual(['a', 'b']);
      expect(listed[0].metadata).toEqual({ weight: 2 });
      expect(await ctx.registry.listServiceNames()).toEqual(['other', 'svc']);
    });

    it('forgets an instance whose TTL ran out, and one that deregistered', async () => {
      await ctx.registry.register(instance('short'), 0.15);
      await ctx.registry.register(instance('long'), 15);
      await sleep(200);
      expect((await ctx.registry.listInstances('svc')).map((i) => i.instanceId)).toEqual(['long']);
      await ctx.registry.deregister('svc', 'long');
      expect(await ctx.registry.listInstances('svc')).toEqual([]);
    });

    it('announces new instances and departures, not heartbeats', async () => {
      const events: string[] = [];
      const stop = await ctx.registry.onChange((service) => events.push(service));
      await ctx.registry.register(instance('a'), 15);
      await ctx.registry.register(instance('a'), 15);
      await ctx.registry.deregister('svc', 'a');
      await sleep(100);
      expect(events).toEqual(['svc', 'svc']);
      await stop();
    });
  });
}
