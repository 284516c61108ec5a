import { InMemoryServiceRegistry } from '../testing';
import { SelfRegistration } from './self-registration';

describe('SelfRegistration', () => {
  afterEach(() => jest.useRealTimers());

  it('registers under every name, heartbeats before the TTL runs out, and deregisters', async () => {
    jest.useFakeTimers();
    let now = 0;
    const registry = new InMemoryServiceRegistry(() => now);
    const registration = new SelfRegistration(registry, {
      names: ['user-service', 'user-service-v2'],
      url: 'http://127.0.0.1:3001/',
      healthUrl: 'http://127.0.0.1:3001/health',
      heartbeatSeconds: 5,
      ttlSeconds: 15,
      instanceId: 'i-1',
    });
    await registration.start();
    expect((await registry.listInstances('user-service-v2'))[0]).toMatchObject({
      instanceId: 'i-1',
      url: 'http://127.0.0.1:3001',
    });

    for (let t = 5; t <= 60; t += 5) {
      now = t * 1000;
      await jest.advanceTimersByTimeAsync(5000);
    }
    expect(await registry.listInstances('user-service')).toHaveLength(1);

    await registration.stop();
    expect(await registry.listInstances('user-service')).toEqual([]);
    expect(await registry.listInstances('user-service-v2')).toEqual([]);
  });

  it('expires when heartbeats stop', async () => {
    let now = 0;
    const registry = new InMemoryServiceRegistry(() => now);
    const registration = new SelfRegistration(registry, {
      names: ['s'],
      url: 'http://h',
      healthUrl: 'http://h/health',
      heartbeatSeconds: 5,
      ttlSeconds: 15,
    });
    await registration.start();
    await registration.stop();
    await registration.start();
    now = 15_001;
    expect(await registry.listInstances('s')).toEqual([]);
    await registration.stop();
  });
});
