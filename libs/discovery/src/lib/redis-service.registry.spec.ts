import { openTestRedis, waitUntil, type TestRedis } from '@mqgw/testing';
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

describe('RedisServiceRegistry (real Redis)', () => {
  let t: TestRedis;
  let registry: RedisServiceRegistry;

  beforeEach(async () => {
    t = await openTestRedis('registry');
    registry = new RedisServiceRegistry(t.redis, { keyPrefix: t.prefix });
  });
  afterEach(() => t.close());

  it('lists registered instances and the service names a watcher saw', async () => {
    const stop = await registry.onChange(() => undefined);
    await registry.register(instance('i-01'), 15);
    await registry.register(instance('i-02'), 15);
    await registry.register(instance('i-03', 'order-service'), 15);
    const ids = (await registry.listInstances('user-service')).map((i) => i.instanceId).sort();
    expect(ids).toEqual(['i-01', 'i-02']);
    await waitUntil(
      'two service names',
      async () => (await registry.listServiceNames()).length === 2,
    );
    expect(await registry.listServiceNames()).toEqual(['order-service', 'user-service']);
    await stop();
  });

  it('takes the service from the channel, never from the message', async () => {
    const events: string[] = [];
    const stop = await registry.onChange((s) => events.push(s));
    const publish = (channel: string, message: string) =>
      t.redis.publish(t.prefix + channel, message);
    await publish(registryKeys.changes('user-service'), 'payment-service');
    await publish('services:changed', 'order-service');
    await publish('services:{bad name}:changed', 'x');
    await publish(registryKeys.changes('last'), 'last');
    await waitUntil('the last event', () => events.includes('last'));
    expect(events).toEqual(['user-service', 'last']);
    await stop();
  });

  it('drops an instance that stops heartbeating, leaving no stale member behind', async () => {
    await registry.register(instance('i-01'), 0.2);
    await registry.register(instance('i-02'), 15);
    await waitUntil(
      'i-01 to expire',
      async () => (await registry.listInstances('user-service')).length === 1,
    );
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
    await registry.register(instance('i-09', 'last'), 15);
    await waitUntil('the last event', () => events.includes('last'));
    expect(events).toEqual(['user-service', 'user-service', 'last']);
    await stop();
  });

  it('keeps the keys and channel of one service in one cluster slot', () => {
    const tag = (key: string) => key.slice(key.indexOf('{') + 1, key.indexOf('}'));
    expect(tag(registryKeys.instances('a-b'))).toBe(tag(registryKeys.data('a-b')));
    expect(tag(registryKeys.changes('a-b'))).toBe('a-b');
  });
});
