import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { RedisServiceRegistry } from '@mqgw/discovery';
import { startRedisServer, type PrivateServer } from '@mqgw/testing';
import { redisAclFile } from './redis-acl';
import { loadOrCreateSecrets, type DeploymentSecrets } from './secrets';

/** One inline command on a fresh connection, and the first line of the answer. */
function raw(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => socket.write(`${command}\r\n`));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().split('\r\n')[0]);
    });
    socket.once('error', reject);
  });
}

describe('Redis ACL users, on a real redis-server', () => {
  let server: PrivateServer;
  let secrets: DeploymentSecrets;
  const open: Redis[] = [];
  const as = async (username: string, password: string) => {
    const redis = new Redis(server.url, {
      username,
      password,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableReadyCheck: false,
      retryStrategy: () => null,
    });
    open.push(redis);
    await redis.connect();
    return redis;
  };

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'acl-'));
    secrets = loadOrCreateSecrets(join(dir, 'secrets.json')).secrets;
    writeFileSync(join(dir, 'users.acl'), redisAclFile(secrets));
    server = await startRedisServer(['--aclfile', join(dir, 'users.acl')]);
  });
  afterAll(async () => {
    for (const redis of open) redis.disconnect();
    await server.stop();
  });

  it('lets no one in without a password, and no one in with the wrong one', async () => {
    expect(await raw(server.port, 'PING')).toMatch(/^-NOAUTH/);
    expect(await raw(server.port, `AUTH gateway wrong`)).toMatch(/^-WRONGPASS/);
    expect(await raw(server.port, `AUTH default ${secrets.redis.gateway}`)).toMatch(/^-WRONGPASS/);
  });

  it('gives the gateway its keys and scripts, but no administrative command', async () => {
    const gateway = await as('gateway', secrets.redis.gateway);
    await gateway.hset('apikey:{abc}', 'id', 'abc');
    expect(await gateway.eval("return redis.call('INCR', KEYS[1])", 1, 'counter')).toBe(1);
    await expect(gateway.flushall()).rejects.toThrow(/NOPERM/);
    await expect(gateway.config('GET', 'requirepass')).rejects.toThrow(/NOPERM/);
  });

  it('lets a service register itself through the real registry, and nothing else', async () => {
    const users = await as('user-service', secrets.redis['user-service']);
    const registry = new RedisServiceRegistry(users);
    const instance = (service: string) => ({
      service,
      instanceId: 'i1',
      url: 'http://user-service:3001',
      healthUrl: 'http://user-service:3001/health',
      metadata: {},
      registeredAt: 1,
    });
    // A gateway watches, as in the stack: it sees the service's own announcements.
    const gateway = await as('gateway', secrets.redis.gateway);
    const watcher = new RedisServiceRegistry(gateway);
    const events: string[] = [];
    const stop = await watcher.onChange((service) => events.push(service));
    await registry.register(instance('user-service'), 15);
    await registry.register(instance('user-service-v2'), 15);
    await registry.deregister('user-service-v2', 'i1');
    await expect(registry.register(instance('payment-service'), 15)).rejects.toThrow(
      /NOPERM|can't run|No permissions/,
    );
    expect(
      (await new RedisServiceRegistry(gateway).listInstances('user-service')).map((i) => i.url),
    ).toEqual(['http://user-service:3001']);
    await registry.register(instance('user-service'), 15);
    await gateway.publish('services:{last}:changed', 'x');
    for (let i = 0; !events.includes('last'); i++) {
      if (i > 100) throw new Error('no change event reached the gateway');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(events).toEqual(['user-service', 'user-service-v2', 'user-service-v2', 'last']);
    await stop();
    expect(await watcher.listServiceNames()).toEqual(['last', 'user-service', 'user-service-v2']);
  });

  it.each([
    ['list every key name', ['SCAN', '0']],
    ['list every key name with KEYS', ['KEYS', '*']],
    ['flush the scripts', ['SCRIPT', 'FLUSH']],
    ['flush the functions', ['FUNCTION', 'FLUSH']],
    ['take another service out of the index', ['SREM', 'services:all', 'payment-service']],
    ['fill the index', ['SADD', 'services:all', 'forged']],
    ['announce on the old shared channel', ['PUBLISH', 'services:changed', 'payment-service']],
    ['announce for another service', ['PUBLISH', 'services:{payment-service}:changed', 'x']],
    ['forge another service’s instance', ['HSET', 'services:{payment-service}:data', 'f', '{}']],
    ['remove another service’s instance', ['ZREM', 'services:{payment-service}:instances', 'i']],
    [
      'read another service’s instances',
      ['ZRANGEBYSCORE', 'services:{order-service}:instances', '0', '+inf'],
    ],
    ['write an API key', ['HSET', 'apikey:{evil}', 'id', 'evil']],
    [
      'write a rate limit from a script',
      ['EVAL', "return redis.call('SET', KEYS[1], 1)", '1', 'ratelimit:{x}'],
    ],
    ['announce a breaker change', ['PUBLISH', 'breaker:changed', 'x']],
    [
      'read its own keys with a command it does not use',
      ['HGETALL', 'services:{user-service}:data'],
    ],
  ])('refuses a service that tries to %s', async (_what, command) => {
    const users = await as('user-service', secrets.redis['user-service']);
    await expect(users.call(command[0], ...command.slice(1))).rejects.toThrow(/NOPERM/);
  });

  it('gives the CLI API keys and device records only, and the healthcheck PING only', async () => {
    const cli = await as('cli', secrets.redis.cli);
    // What the API-key store writes (libs/auth), under the CLI's user.
    await cli.hset('apikey:{k1}', { id: 'k1', owner: 'ada', revoked: '0' });
    await cli.sadd('apikeys', 'k1');
    expect(await cli.smembers('apikeys')).toEqual(['k1']);
    await expect(cli.hset('services:{user-service}:data', 'x', '{}')).rejects.toThrow(/NOPERM/);
    const health = await as('health', secrets.redis.health);
    expect(await health.ping()).toBe('PONG');
    await expect(health.get('apikey:{k1}')).rejects.toThrow(/NOPERM/);
  });
});
