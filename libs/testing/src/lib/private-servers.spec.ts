import mqtt from 'mqtt';
import { Redis } from 'ioredis';
import { portOpen } from '@mqgw/mosquitto';
import { startMosquitto, startRedisServer } from './private-servers';

describe('private servers', () => {
  it('starts a real Mosquitto on its own port, and frees it on stop', async () => {
    const broker = await startMosquitto();
    const client = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
    await client.subscribeAsync('t/#');
    const got = new Promise<string>((resolve) =>
      client.once('message', (_t, p) => resolve(`${p}`)),
    );
    await client.publishAsync('t/1', 'hello');
    expect(await got).toBe('hello');
    await client.endAsync();
    await broker.stop();
    expect(await portOpen(broker.port)).toBe(false);
  });

  it('starts a real redis-server with extra options', async () => {
    const server = await startRedisServer(['--maxmemory', '10mb']);
    const redis = new Redis(server.url);
    try {
      expect(await redis.config('GET', 'maxmemory')).toEqual([
        'maxmemory',
        String(10 * 1024 * 1024),
      ]);
    } finally {
      redis.disconnect();
      await server.stop();
    }
    expect(await portOpen(server.port)).toBe(false);
  });

  it('says why a server did not start', async () => {
    await expect(startRedisServer(['--no-such-option', 'x'])).rejects.toThrow(/did not start/);
  });
});
