import { RedisKvStore } from '@mqgw/store';
import { openTestRedis, type TestRedis } from '@mqgw/testing';
import { ApiKeyStore } from './api-key.store';
import { AuthError } from './auth-error';

describe('ApiKeyStore (real Redis)', () => {
  let t: TestRedis;
  beforeEach(async () => {
    t = await openTestRedis('apikeys');
  });
  afterEach(() => t.close());

  it('creates a key, stores only its hash, verifies, lists and revokes it', async () => {
    const store = new ApiKeyStore(new RedisKvStore(t.redis), {
      keyPrefix: t.prefix,
      cacheTtlSeconds: 0,
    });
    const { key, record } = await store.create('svc-reporting', ['reports:read']);
    expect(key).toMatch(/^mqgw_[0-9a-f]{12}_/);

    const dump = JSON.stringify(await t.redis.hgetall(`${t.prefix}apikey:{${record.id}}`));
    expect(dump).not.toContain(key);

    expect(await store.verify(key)).toMatchObject({
      principalId: `key:${record.id}`,
      userId: 'svc-reporting',
      scopes: ['reports:read'],
    });
    expect((await store.list()).map((r) => [r.id, r.revoked])).toEqual([[record.id, false]]);

    expect(await store.revoke(record.id)).toBe(true);
    await expect(store.verify(key)).rejects.toMatchObject({ reason: 'revoked' });
    expect(await store.revoke('000000000000')).toBe(false);
  });

  it('rejects unknown, tampered and malformed keys', async () => {
    const store = new ApiKeyStore(new RedisKvStore(t.redis), { keyPrefix: t.prefix });
    const { key } = await store.create('o', []);
    const tampered = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
    await expect(store.verify(tampered)).rejects.toMatchObject({ reason: 'invalid' });
    await expect(store.verify('mqgw_000000000000_' + 'x'.repeat(43))).rejects.toMatchObject({
      reason: 'invalid',
    });
    await expect(store.verify('hello')).rejects.toBeInstanceOf(AuthError);
  });

  it('fails closed when Redis cannot answer', async () => {
    const store = new ApiKeyStore(new RedisKvStore(t.redis), { keyPrefix: t.prefix });
    const { key } = await store.create('o', []);
    const broken = new ApiKeyStore(
      { hashGetAll: () => Promise.reject(new Error('connection lost')) } as never,
      { keyPrefix: t.prefix },
    );
    await expect(broken.verify(key)).rejects.toMatchObject({ reason: 'unavailable' });
  });

  it('refuses a wrong key again without asking the store, for a while', async () => {
    let lookups = 0;
    const kv = new RedisKvStore(t.redis);
    const counting = {
      ...kv,
      hashGetAll: (key: string) => {
        lookups++;
        return kv.hashGetAll(key);
      },
    } as never;
    let now = 1_000_000;
    const store = new ApiKeyStore(counting, {
      keyPrefix: t.prefix,
      negativeTtlSeconds: 30,
      now: () => now,
    });
    const made = 'mqgw_000000000000_' + 'y'.repeat(43);
    for (let i = 0; i < 5; i++) {
      await expect(store.verify(made)).rejects.toMatchObject({ reason: 'invalid' });
    }
    expect(lookups).toBe(1);
    now += 31_000;
    await expect(store.verify(made)).rejects.toMatchObject({ reason: 'invalid' });
    expect(lookups).toBe(2);
  });
});
