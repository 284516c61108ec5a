import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PREFIX = 'mqgw-broker-';
/** `mqgw-broker-<pid>-<random>`: the pid says whether its owner still runs. */
const OWNED = /^mqgw-broker-(\d+)-/;
/** A folder from before the pid was in the name is stale once it is this old. */
const UNOWNED_STALE_MS = 60 * 60_000;

/**
 * A temporary folder for an embedded broker's files, removed when this process exits. A
 * process that could not clean up (SIGKILL, a crash of the runtime) leaves its folder
 * behind: the next one removes those whose process is gone.
 */
export function createBrokerDir(base: string = tmpdir()): string {
  removeStaleBrokerDirs(base);
  const dir = mkdtempSync(join(base, `${PREFIX}${process.pid}-`));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Removes the broker folders in `base` whose process no longer runs; returns their names. */
export function removeStaleBrokerDirs(base: string = tmpdir(), now = Date.now()): string[] {
  let names: string[];
  try {
    names = readdirSync(base).filter((name) => name.startsWith(PREFIX));
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const owner = OWNED.exec(name);
    const path = join(base, name);
    try {
      const stale = owner
        ? !running(Number(owner[1]))
        : now - statSync(path).mtimeMs > UNOWNED_STALE_MS;
      if (!stale) continue;
      rmSync(path, { recursive: true, force: true });
      removed.push(name);
    } catch {
      // Another user's folder, or gone meanwhile: not ours to worry about.
    }
  }
  return removed;
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
