// The processes a child started (the gateway's embedded Mosquitto, a worker), so the stack
// runner can end them too: a child killed with SIGKILL, or one that crashed, never gets to
// stop what it started, and those would keep their ports for the next `npm start`.
import { execFileSync } from 'node:child_process';

/** @typedef {{ pid: number, ppid: number, command: string }} Row */

/**
 * One `ps` snapshot of every process (Linux and macOS).
 * @returns {Row[]}
 */
export function processTable() {
  let text;
  try {
    text = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,comm='], { encoding: 'utf8' });
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((m) => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), command: m[3].trim() }))
    .filter((row) => row.command !== 'ps');
}

/**
 * Every live descendant of `pid`, children first.
 * @param {number} pid
 * @param {Row[]} table
 * @returns {Row[]}
 */
export function descendantsOf(pid, table = processTable()) {
  const found = [];
  const queue = table.filter((row) => row.ppid === pid);
  while (queue.length > 0) {
    const next = /** @type {Row} */ (queue.shift());
    found.push(next);
    queue.push(...table.filter((row) => row.ppid === next.pid));
  }
  return found;
}

/**
 * Those of `seen` that still run, with the same command (a pid may have been reused).
 * @param {Row[]} seen
 * @param {Row[]} table
 */
export function stillRunning(seen, table = processTable()) {
  const pids = new Set();
  for (const row of seen) {
    if (table.some((t) => t.pid === row.pid && t.command === row.command)) pids.add(row.pid);
  }
  return [...pids];
}

/**
 * Sends `signal` to each pid that still exists.
 * @param {number[]} pids
 * @param {NodeJS.Signals} signal
 */
export function signalAll(pids, signal) {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // gone already
    }
  }
}
