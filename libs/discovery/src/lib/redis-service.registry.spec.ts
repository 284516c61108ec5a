import { openTestRedis, type TestRedis } from '@mqgw/testing';
import { RedisServiceRegistry } from './redis-service.registry';
import { registryKeys } from './registry.keys';
import type { ServiceInstance } from './service-instance';

const instance = (id: string, service = 'user-service'): ServiceInstance => ({
  service,
  instanceId: id,
  url: `http://127.0.0.1:40${id.slice(-2)}`,
  healthUrl: `http://127.0.0.1:40${id.slice(-2)}/health`,
  metadata: { version: '1.0.0' },
  registeredAt: 1,
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('RedisServiceRegistry (real Redis)', () => {
  let t: TestRedis;
  let registry: RedisServiceRegistry;

  beforeEach(async () => {
    t = await openTestRedis('registry');
    registry = new RedisServiceRegistry(t.redis, { keyPrefix: t.prefix });
  });
  afterEach(() => t.close());

  it('lists registered instances and service names', async () => {
    await registry.register(instance('i-01'), 15);
    await registry.register(instance('i-02'), 15);
    await registry.register(instance('i-03', 'order-service'), 15);
    const ids = (await registry.listInstances('user-service')).map((i) => i.instanceId).sort();
    expect(ids).toEqual(['i-01', 'i-02']);
    expect(await registry.listServiceNames()).toEqual(['order-service', 'user-service']);
  });

  it('drops an instance that stops heartbeating, leaving no stale member behind', async () => {
    await registry.register(instance('i-01'), 0.2);
    await registry.register(instance('i-02'), 15);
    await sleep(300);
    expect((await registry.listInstances('user-service')).map((i) => i.instanceId)).toEqual([
      'i-02',
    ]);
    const members = await t.redis.zrange(t.prefix + registryKeys.instances('user-service'), 0, -1);
    const fields = await t.redis.hkeys(t.prefix + registryKeys.data('user-service'));
    expect(members).toEqual(['i-02']);
    expect(fields).toEqual(['i-02']);
  });

  it('deregisters at once and tells watchers', async () => {
    const events: string[] = [];
    const stop = await registry.onChange((s) => events.push(s));
    await registry.register(instance('i-01'), 15);
    await registry.register(instance('i-01'), 15); // a heartbeat is not news
    await registry.deregister('user-service', 'i-01');
    expect(await registry.listInstances('user-service')).toEqual([]);
    await sleep(100);
    expect(events).toEqual(['user-service', 'user-service']);
    await stop();
  });

  it('keeps the keys of one service in one cluster slot', () => {
    const tag = (key: string) => key.slice(key.indexOf('{') + 1, key.indexOf('}'));
    expect(tag(registryKeys.instances('a-b'))).toBe(tag(registryKeys.data('a-b')));
  });
});
