import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './main';

function io(env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), env },
  };
}

describe('cli', () => {
  it('prints help with --help and exits 0, and 2 without a command', async () => {
    const a = io();
    expect(await run(['--help'], a.io)).toBe(0);
    expect(a.out.join('\n')).toContain('request <topic>');
    expect(await run([], io().io)).toBe(2);
  });

  it('explains bad usage in one line and exits 2', async () => {
    for (const [args, message] of [
      [['frobnicate'], 'error: unknown command frobnicate; see --help'],
      [['request'], 'error: request needs a topic'],
      [['request', 't', '--qos', '3'], 'error: --qos must be 0, 1 or 2'],
      [['request', 't', '--data', '{oops'], 'error: --data is not valid JSON'],
      [['request', 't', '--header', 'novalue'], 'error: --header expects name=value, got novalue'],
      [['keys', 'create'], 'error: keys create needs --owner'],
    ] as const) {
      const c = io();
      expect(await run([...args], c.io)).toBe(2);
      expect(c.err).toEqual([message]);
    }
  });

  it('mints a token from the development secret file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cli-')), 'secret');
    writeFileSync(file, 's'.repeat(40));
    const c = io({ DEV_SECRET_FILE: file });
    expect(await run(['token', '--sub', 'u1', '--scope', 'a,b', '--ttl', '60'], c.io)).toBe(0);
    const claims = JSON.parse(Buffer.from(c.out[0].split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ sub: 'u1', scope: 'a b' });
    expect(claims.exp - claims.iat).toBe(60);
    const none = io({ DEV_SECRET_FILE: join(tmpdir(), 'does-not-exist') });
    expect(await run(['token', '--sub', 'u1'], none.io)).toBe(2);
    expect(none.err[0]).toMatch(/^error: no secret/);
  });
});
