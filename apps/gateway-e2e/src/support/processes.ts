import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export { freePort } from '@mqgw/testing';

export const WORKSPACE = join(__dirname, '../../../..');
export const LOG_DIR = join(WORKSPACE, 'tmp/e2e-logs');

const live = new Set<ChildProcess>();
// A crashed or interrupted test run must not leave the stack behind.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** A child process whose output goes to `tmp/e2e-logs/<name>.log`. */
export class ManagedProcess {
  private exited: Promise<number | null>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends `signal` and waits for the exit, escalating to SIGKILL after `graceMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<number | null> {
    if (!this.running) return this.child.exitCode;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  waitForExit(): Promise<number | null> {
    return this.exited;
  }
}

export function spawnLogged(
  name: string,
  command: string,
  args: string[],
  env: Record<string, string>,
  options: { detached?: boolean } = {},
): ManagedProcess {
  mkdirSync(LOG_DIR, { recursive: true });
  const logFile = join(LOG_DIR, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'w' });
  const child = spawn(command, args, {
    cwd: WORKSPACE,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // In a process group of its own, for a test that signals the group as a terminal does.
    detached: options.detached ?? false,
  });
  // Both into one file, closed once both have ended: a pipe's own end would close it while
  // the other still writes ("write after end" when stderr outlives stdout).
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  child.once('close', () => log.end());
  live.add(child);
  child.once('exit', () => live.delete(child));
  return new ManagedProcess(name, child, logFile);
}

/** Polls until `check` resolves true, or fails after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 20_000,
  gaveUp: () => string | undefined = () => undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    const reason = gaveUp();
    if (reason) throw new Error(`${what}: ${reason}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
  return res.ok;
}
