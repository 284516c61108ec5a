import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSetup } from './setup';

describe('runSetup', () => {
  const files = (dir: string) => readdirSync(dir).sort();

  it('gives each consumer only the secrets it uses, and takes back what it no longer gets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'setup-'));
    const options = { stateDir: join(dir, 'state'), outDir: join(dir, 'out') };
    await runSetup(options);
    expect(files(join(dir, 'out/broker-provision'))).toEqual([
      'mqtt_admin_password',
      'mqtt_client_password',
      'mqtt_gateway_password',
    ]);
    expect(files(join(dir, 'out/cli'))).toEqual([
      'ca.pem',
      'jwt_secret',
      'mqtt_admin_password',
      'mqtt_client_password',
      'mqtt_client_username',
      'redis_password',
    ]);
    expect(files(join(dir, 'out/gateway'))).toEqual([
      'jwt_secret',
      'mqtt_password',
      'redis_password',
    ]);
    expect(files(join(dir, 'out/payment-service'))).toEqual(['redis_password']);
    const mode = statSync(join(dir, 'out/broker-provision/mqtt_admin_password')).mode & 0o777;
    expect(mode).toBe(0o600);
    // What an older setup gave the CLI and no longer does is removed on the next run.
    writeFileSync(join(dir, 'out/cli/mqtt_gateway_password'), 'old');
    writeFileSync(join(dir, 'out/broker-provision/jwt_secret'), 'old');
    await runSetup(options);
    expect(files(join(dir, 'out/cli'))).not.toContain('mqtt_gateway_password');
    expect(files(join(dir, 'out/broker-provision'))).not.toContain('jwt_secret');
  });
});
