import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBrokerDir, removeStaleBrokerDirs } from './broker-dir';

describe('the embedded broker’s temporary folder', () => {
  const base = () => mkdtempSync(join(tmpdir(), 'broker-dirs-'));

  it('is removed when its process exits, even on SIGTERM', () => {
    const dir = base();
    const script = `
      const { createBrokerDir } = require(${JSON.stringify(require.resolve('./broker-dir'))});
      createBrokerDir(${JSON.stringify(dir)});
      process.on('SIGTERM', () => process.exit(0));
      process.kill(process.pid, 'SIGTERM');
      setTimeout(() => {}, 10000);`;
    const run = spawnSync(process.execPath, ['-r', '@swc-node/register', '-e', script], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('left by a dead process, or unowned and old, is removed at the next start', () => {
    const dir = base();
    const dead = spawnSync(process.execPath, ['-e', '0']).pid ?? 0;
    for (const name of [`mqgw-broker-${dead}-abc`, `mqgw-broker-${process.pid}-def`, 'other']) {
      mkdirSync(join(dir, name));
    }
    mkdirSync(join(dir, 'mqgw-broker-old'));
    utimesSync(join(dir, 'mqgw-broker-old'), new Date(0), new Date(0));
    mkdirSync(join(dir, 'mqgw-broker-new'));
    expect(removeStaleBrokerDirs(dir).sort()).toEqual([
      `mqgw-broker-${dead}-abc`,
      'mqgw-broker-old',
    ]);
    expect(readdirSync(dir).sort()).toEqual([
      `mqgw-broker-${process.pid}-def`,
      'mqgw-broker-new',
      'other',
    ]);
    const own = createBrokerDir(dir);
    expect(existsSync(own)).toBe(true);
    expect(own).toContain(`mqgw-broker-${process.pid}-`);
  });
});
