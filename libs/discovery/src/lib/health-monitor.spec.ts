import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InMemoryServiceRegistry } from '../testing';
import { HealthMonitor } from './health-monitor';
import { InstanceDirectory } from './instance-directory';

describe('HealthMonitor', () => {
  it('marks an instance unhealthy after N failures and healthy after M successes', async () => {
    let up = true;
    const changes: [string, boolean][] = [];
    const monitor = new HealthMonitor({
      intervalMs: 60_000,
      timeoutMs: 100,
      unhealthyAfter: 3,
      healthyAfter: 2,
      probe: async () => up,
      onChange: (url, healthy) => changes.push([url, healthy]),
    });
    monitor.start(() => ['http://a/health']);
    await monitor.checkAll();
    up = false;
    await monitor.checkAll();
    await monitor.checkAll();
    expect(monitor.isHealthy('http://a/health')).toBe(true);
    await monitor.checkAll();
    expect(monitor.isHealthy('http://a/health')).toBe(false);
    up = true;
    await monitor.checkAll();
    expect(monitor.isHealthy('http://a/health')).toBe(false);
    await monitor.checkAll();
    expect(monitor.isHealthy('http://a/health')).toBe(true);
    expect(changes).toEqual([
      ['http://a/health', false],
      ['http://a/health', true],
    ]);
    monitor.stop();
  });

  it('takes a failing instance out of the directory, over real HTTP', async () => {
    let status = 200;
    const server: Server = createServer((_req, res) => {
      res.statusCode = status;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const monitor = new HealthMonitor({
      intervalMs: 60_000,
      timeoutMs: 500,
      unhealthyAfter: 1,
      healthyAfter: 1,
    });
    const registry = new InMemoryServiceRegistry();
    await registry.register(
      {
        service: 's',
        instanceId: 'i',
        url,
        healthUrl: `${url}/health`,
        metadata: {},
        registeredAt: 0,
      },
      15,
    );
    const directory = new InstanceDirectory(registry, { refreshMs: 60_000, health: monitor });
    await directory.start();
    await monitor.checkAll();
    expect(directory.instances('s')).toHaveLength(1);
    status = 503;
    await monitor.checkAll();
    expect(directory.instances('s')).toHaveLength(0);
    expect(directory.summaries()).toEqual([
      { name: 's', total_instances: 1, healthy_instances: 0, status: 'unhealthy' },
    ]);
    await directory.stop();
    await new Promise((r) => server.close(r));
  });
});
