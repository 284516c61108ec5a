import { InMemoryKvStore, RedisKvStore } from '@mqgw/store';
import { openTestRedis, type TestRedis } from '@mqgw/testing';
import { DeviceStore } from './device.store';

describe('DeviceStore (real Redis)', () => {
  let t: TestRedis;
  beforeEach(async () => {
    t = await openTestRedis('devices');
  });
  afterEach(() => t.close());

  it('sets, lists and removes device scopes; a device without a record has none', async () => {
    const store = new DeviceStore(new RedisKvStore(t.redis), {
      keyPrefix: t.prefix,
      cacheTtlSeconds: 0,
    });
    expect(await store.identify('sensor-7')).toMatchObject({
      principalId: 'device:sensor-7',
      kind: 'device',
      userId: 'sensor-7',
      scopes: [],
    });
    await store.set('sensor-7', ['telemetry:write', 'telemetry:write', 'admin']);
    expect((await store.identify('sensor-7')).scopes).toEqual(['telemetry:write', 'admin']);
    expect(await t.redis.hget(`${t.prefix}device:{sensor-7}`, 'name')).toBe('sensor-7');
    expect((await store.list()).map((d) => [d.name, d.scopes])).toEqual([
      ['sensor-7', ['telemetry:write', 'admin']],
    ]);
    expect(await store.remove('sensor-7')).toBe(true);
    expect(await store.remove('sensor-7')).toBe(false);
    expect(await store.list()).toEqual([]);
    expect((await store.identify('sensor-7')).scopes).toEqual([]);
  });

  it('refuses names that are not one plain topic level, and scopes that cannot travel', async () => {
    const store = new DeviceStore(new InMemoryKvStore());
    for (const name of ['', '+', '#', '$SYS', 'a/b', 'with space', '-lead', 'ü']) {
      await expect(store.set(name, [])).rejects.toThrow(/device name/);
      await expect(store.identify(name)).rejects.toMatchObject({ reason: 'malformed' });
    }
    await expect(store.set('ok', ['has space'])).rejects.toThrow(/scopes/);
  });

  it('caches scopes, absent records too, and fails closed when the store is down', async () => {
    let now = 0;
    let reads = 0;
    const kv = new InMemoryKvStore();
    const counting = Object.assign(Object.create(kv) as InMemoryKvStore, {
      hashGetAll: (key: string) => {
        reads++;
        return kv.hashGetAll(key);
      },
    });
    const store = new DeviceStore(counting, { cacheTtlSeconds: 5, now: () => now });
    await store.identify('d1');
    await store.identify('d1');
    expect(reads).toBe(1);
    now += 5001;
    await store.identify('d1');
    expect(reads).toBe(2);
    const down = new DeviceStore({
      hashGetAll: () => Promise.reject(new Error('down')),
    } as unknown as InMemoryKvStore);
    await expect(down.identify('d1')).rejects.toMatchObject({ reason: 'unavailable' });
  });
});
