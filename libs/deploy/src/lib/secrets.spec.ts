import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateSecrets } from './secrets';

describe('deployment secrets', () => {
  const fresh = () => join(mkdtempSync(join(tmpdir(), 'secrets-')), 'secrets.json');

  it('generates every secret once, privately, and keeps them on the next run', () => {
    const file = fresh();
    const first = loadOrCreateSecrets(file);
    expect(first.changed).toBe(true);
    expect(first.secrets.jwtSecret).toMatch(/^[\w-]{43}$/);
    expect(first.secrets.mqtt.client.username).toBe('client');
    expect(new Set(Object.values(first.secrets.redis)).size).toBe(7);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = loadOrCreateSecrets(file);
    expect(second.changed).toBe(false);
    expect(second.secrets).toEqual(first.secrets);
  });

  it("uses the operator's JWT secret and client credentials exactly, and keeps the rest", () => {
    const file = fresh();
    const generated = loadOrCreateSecrets(file).secrets;
    const overrides = {
      jwtSecret: 's'.repeat(40),
      clientUsername: 'ada',
      clientPassword: 'correct horse',
    };
    const { secrets, changed } = loadOrCreateSecrets(file, overrides);
    expect(changed).toBe(true);
    expect(secrets.jwtSecret).toBe(overrides.jwtSecret);
    expect(secrets.mqtt.client).toEqual({ username: 'ada', password: 'correct horse' });
    expect(secrets.mqtt.gateway).toBe(generated.mqtt.gateway);
    expect(JSON.parse(readFileSync(file, 'utf8')).jwtSecret).toBe(overrides.jwtSecret);
  });

  it('replaces only the secrets it is asked to rotate', () => {
    const file = fresh();
    const before = loadOrCreateSecrets(file).secrets;
    const { secrets: after, changed } = loadOrCreateSecrets(file, { rotate: ['gateway', 'redis'] });
    expect(changed).toBe(true);
    expect(after.mqtt.gateway).not.toBe(before.mqtt.gateway);
    for (const user of Object.keys(before.redis) as (keyof typeof before.redis)[]) {
      expect([user, after.redis[user] === before.redis[user]]).toEqual([user, false]);
    }
    expect([after.jwtSecret, after.mqtt.admin, after.mqtt.client]).toEqual([
      before.jwtSecret,
      before.mqtt.admin,
      before.mqtt.client,
    ]);
    // An operator's JWT secret wins over a rotation of the generated one.
    const mine = 'm'.repeat(40);
    expect(loadOrCreateSecrets(file, { jwtSecret: mine, rotate: ['jwt'] }).secrets.jwtSecret).toBe(
      mine,
    );
    expect(loadOrCreateSecrets(file, { rotate: ['jwt'] }).secrets.jwtSecret).not.toBe(mine);
  });

  it('refuses a short JWT secret and a username that is not one topic level', () => {
    expect(() => loadOrCreateSecrets(fresh(), { jwtSecret: 'short' })).toThrow('JWT_SECRET');
    expect(() => loadOrCreateSecrets(fresh(), { clientUsername: 'a/b' })).toThrow(
      'MQTT_CLIENT_USERNAME',
    );
    expect(() => loadOrCreateSecrets(fresh(), { clientUsername: '+' })).toThrow(
      'MQTT_CLIENT_USERNAME',
    );
  });
});
