import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findMosquitto, mosquittoConfig, portFree, portOpen } from './mosquitto';

describe('mosquitto helpers', () => {
  it('configures a loopback broker with TCP_NODELAY', () => {
    const conf = mosquittoConfig(18_999);
    expect(conf).toContain('listener 18999 127.0.0.1');
    expect(conf).toMatch(/^set_tcp_nodelay true$/m);
  });

  it('prefers MOSQUITTO_BIN when it is executable', () => {
    const fake = join(mkdtempSync(join(tmpdir(), 'mosq-bin-')), 'mosquitto');
    writeFileSync(fake, '#!/bin/sh\n', { mode: 0o755 });
    expect(findMosquitto({ MOSQUITTO_BIN: fake, PATH: '' })).toBe(fake);
  });

  it('starts a real broker from that config and sees its port open, then free again', async () => {
    const binary = findMosquitto();
    expect(binary).toBeDefined();
    let port = 0;
    const { createServer } = await import('node:net');
    await new Promise<void>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        port = (s.address() as { port: number }).port;
        s.close(() => resolve());
      });
    });
    expect(await portFree(port)).toBe(true);
    const file = join(mkdtempSync(join(tmpdir(), 'mosq-')), 'mosquitto.conf');
    writeFileSync(file, mosquittoConfig(port));
    const child = spawn(binary!, ['-c', file], { stdio: 'ignore' });
    try {
      let open = false;
      for (let i = 0; i < 100 && !open; i++) {
        open = await portOpen(port);
        if (!open) await new Promise((r) => setTimeout(r, 50));
      }
      expect(open).toBe(true);
      expect(await portFree(port)).toBe(false);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});
