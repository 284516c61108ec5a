import { InMemoryServiceRegistry } from '../testing';
import { InstanceDirectory, parseStaticServices } from './instance-directory';

const inst = (service: string, id: string, url: string) => ({
  service,
  instanceId: id,
  url,
  healthUrl: `${url}/health`,
  metadata: {},
  registeredAt: 0,
});

describe('InstanceDirectory', () => {
  it('follows registry changes and merges static instances', async () => {
    const registry = new InMemoryServiceRegistry();
    const directory = new InstanceDirectory(registry, {
      refreshMs: 60_000,
      staticInstances: parseStaticServices('user-service=http://127.0.0.1:9001'),
      services: ['order-service'],
    });
    await directory.start();
    expect(directory.instances('user-service').map((i) => i.url)).toEqual([
      'http://127.0.0.1:9001',
    ]);

    await registry.register(inst('user-service', 'a', 'http://127.0.0.1:9002'), 15);
    await new Promise((r) => setImmediate(r));
    expect(directory.instances('user-service').map((i) => i.url)).toEqual([
      'http://127.0.0.1:9002',
      'http://127.0.0.1:9001',
    ]);
    expect(directory.summaries()).toEqual([
      { name: 'order-service', total_instances: 0, healthy_instances: 0, status: 'unhealthy' },
      { name: 'user-service', total_instances: 2, healthy_instances: 2, status: 'healthy' },
    ]);
    await directory.stop();
  });

  it('takes new services and static instances on reconfigure, keeping what the registry says', async () => {
    const registry = new InMemoryServiceRegistry();
    const directory = new InstanceDirectory(registry, {
      refreshMs: 60_000,
      staticInstances: parseStaticServices('a=http://127.0.0.1:9001'),
    });
    await registry.register(inst('a', 'live', 'http://127.0.0.1:9009'), 15);
    await directory.start();
    directory.reconfigure(['b'], parseStaticServices('a=http://127.0.0.1:9002')!);
    expect(directory.instances('a').map((i) => i.url)).toEqual([
      'http://127.0.0.1:9009',
      'http://127.0.0.1:9002',
    ]);
    expect(directory.summaries(['b'])).toEqual([
      { name: 'b', total_instances: 0, healthy_instances: 0, status: 'unhealthy' },
    ]);
    await directory.stop();
  });

  it('leaves an ejected instance out until the ejection ends, unless none would be left', () => {
    let now = 0;
    const directory = new InstanceDirectory(new InMemoryServiceRegistry(), {
      refreshMs: 60_000,
      staticInstances: parseStaticServices('a=http://127.0.0.1:9001,a=http://127.0.0.1:9002'),
      now: () => now,
    });
    const ids = () => directory.instances('a').map((i) => i.instanceId);
    directory.eject('static-0', 5000);
    expect(ids()).toEqual(['static-1']);
    directory.eject('static-1', 5000);
    expect(ids()).toEqual(['static-0', 'static-1']);
    now = 5000;
    expect(ids()).toEqual(['static-0', 'static-1']);
    directory.eject('static-1', 0);
    expect(ids()).toEqual(['static-0', 'static-1']);
  });

  it('keeps serving the last view when the registry fails', async () => {
    const registry = new InMemoryServiceRegistry();
    await registry.register(inst('user-service', 'a', 'http://127.0.0.1:9002'), 15);
    const directory = new InstanceDirectory(registry, { refreshMs: 60_000 });
    await directory.start();
    jest.spyOn(registry, 'listInstances').mockRejectedValue(new Error('down'));
    await expect(directory.refresh()).rejects.toThrow('down');
    expect(directory.instances('user-service')).toHaveLength(1);
    await directory.stop();
  });
});

describe('parseStaticServices', () => {
  it('parses repeated names as several instances', () => {
    const parsed = parseStaticServices('a=http://h:1, a=http://h:2/ ,b=https://x');
    expect(parsed?.map((i) => [i.service, i.url])).toEqual([
      ['a', 'http://h:1'],
      ['a', 'http://h:2'],
      ['b', 'https://x'],
    ]);
  });

  it.each(['a', '=http://h', 'a=ftp://h', 'a b=http://h', 'a=not a url'])('rejects %p', (value) => {
    expect(parseStaticServices(value)).toBeUndefined();
  });
});
