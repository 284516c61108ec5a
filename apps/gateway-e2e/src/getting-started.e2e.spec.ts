import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  copyFileSync,
  createWriteStream,
  mkdtempSync,
  readFileSync,
  rmSync,
  unlinkSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { portFree, portOpen } from '@mqgw/mosquitto';
import { LOG_DIR, WORKSPACE, freePort, waitFor } from './support/processes';
import { ShellSession, readmeCommands } from './support/readme';

/** The README's stand-in for "another port": replaced by a free one, so runs never collide. */
const README_MOVED_PORT = '1884';
const START_TIMEOUT_MS = 300_000;
const COMMAND_TIMEOUT_MS = 60_000;

interface Started {
  command: string;
  child: ChildProcess;
  output: () => string;
}

/** A line that starts the stack runs until Ctrl-C: it is started, and waited on until ready. */
function startStack(command: string, cwd: string, env: Record<string, string>, n: number) {
  const child = spawn('bash', ['-c', command], { cwd, env, detached: true, stdio: 'pipe' });
  const log = createWriteStream(join(LOG_DIR, `getting-started-start-${n}.log`));
  let output = '';
  const take = (chunk: Buffer) => {
    output += chunk.toString();
    log.write(chunk);
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  child.once('exit', () => log.end());
  return { command, child, output: () => output };
}

async function stopStack(stack: Started): Promise<void> {
  if (stack.child.exitCode !== null || stack.child.signalCode !== null) return;
  const exited = new Promise((resolve) => stack.child.once('exit', resolve));
  process.kill(-(stack.child.pid as number), 'SIGINT'); // Ctrl-C, as its terminal sends it
  const timer = setTimeout(() => process.kill(-(stack.child.pid as number), 'SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

/**
 * The README's quick start, walked as a newcomer would, on a machine where 1883 is taken
 * (a system broker holds it here; the test holds it itself where nothing does): a fresh
 * clone of this repository, then every command line of the blocks marked
 * `<!-- getting-started -->`, read from the clone's README, in order, in one shell (so its
 * exports carry over), each with a time limit. `npm test` is the one line not run (it is
 * this suite). A line that runs `npm start` is started, and waited on until the stack says it
 * is ready or exits; on a taken 1883 the first must stop with the one-line MQTT_PORT error
 * the README promises. The README's moved port (1884) is replaced by a free one. The clone's
 * node_modules is a hard-linked copy of this workspace's (a real install from the registry
 * would take minutes); `npm install` then runs as written and finds it up to date. The
 * build is the clone's own, from nothing (an empty Nx cache of its own, and no daemon).
 * Logs: tmp/e2e-logs/getting-started-*.log.
 */
describe('getting started: the README quick start, from a fresh clone, with 1883 taken', () => {
  let dir: string;
  let clone: string;
  let holder: Server | undefined;
  let shell: ShellSession | undefined;
  const stacks: Started[] = [];

  beforeAll(async () => {
    if (!(await portOpen(1883))) {
      holder = createServer();
      await new Promise<void>((resolve) => holder?.listen(1883, '127.0.0.1', resolve));
    }
    dir = mkdtempSync(join(tmpdir(), 'mqgw-getting-started-'));
    clone = join(dir, 'mqgw');
    execFileSync('git', ['clone', '--quiet', WORKSPACE, clone]);
    execFileSync('cp', ['-al', join(WORKSPACE, 'node_modules'), join(clone, 'node_modules')]);
    // npm rewrites this one in place: a copy, so the workspace's own is never touched.
    const lock = join(clone, 'node_modules/.package-lock.json');
    unlinkSync(lock);
    copyFileSync(join(WORKSPACE, 'node_modules/.package-lock.json'), lock);
  }, 120_000);

  afterAll(async () => {
    for (const stack of stacks) await stopStack(stack);
    shell?.close();
    await new Promise((resolve) => (holder ? holder.close(resolve) : resolve(undefined)));
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('runs every command line of the quick start, in order, and each one succeeds', async () => {
    const moved = String(await freePort());
    const ports = await Promise.all([1, 2, 3, 4, 5].map(() => freePort()));
    const env: Record<string, string> = {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? dir,
      // This machine runs other stacks: the HTTP ports a newcomer has free are chosen here.
      HTTP_PORT: String(ports[0]),
      USER_SERVICE_PORT: String(ports[1]),
      ORDER_SERVICE_PORT: String(ports[2]),
      PAYMENT_SERVICE_PORT: String(ports[3]),
      NOTIFICATION_SERVICE_PORT: String(ports[4]),
      NX_DAEMON: 'false',
      // A cache of the clone's own, empty: the first build is as cold as a newcomer's.
      NX_CACHE_DIRECTORY: join(dir, 'nx-cache'),
    };
    const blocks = readmeCommands(
      readFileSync(join(clone, 'README.md'), 'utf8'),
      'getting-started',
    );
    const lines = blocks.flat().map((line) => line.replaceAll(README_MOVED_PORT, moved));
    expect(lines.some((line) => line.startsWith('mosquitto_rr'))).toBe(true);
    shell = ShellSession.start('getting-started-shell', clone, env);
    const ran: string[] = [];
    for (const line of lines) {
      if (/^npm test\b/.test(line)) continue;
      if (/\bnpm start\b/.test(line)) {
        const stack = startStack(line, clone, env, stacks.length);
        stacks.push(stack);
        const ready = /\[stack\] ready: MQTT_URL=(\S+)/;
        await waitFor(
          `"${line}" to be ready or to stop`,
          async () => ready.test(stack.output()) || stack.child.exitCode !== null,
          START_TIMEOUT_MS,
        );
        const url = ready.exec(stack.output())?.[1];
        if (!url) {
          // The README's promise for a taken 1883: one line naming MQTT_PORT, then a stop.
          expect([
            line,
            /config error: MQTT_PORT 1883 is already in use/.test(stack.output()),
          ]).toEqual([line, true]);
        } else {
          expect([line, url]).toEqual([line, `mqtt://127.0.0.1:${moved}`]);
        }
        ran.push(line);
        continue;
      }
      const result = await shell.run(line, COMMAND_TIMEOUT_MS);
      // An error reply is a failure too: mosquitto_rr prints it and exits 0.
      const failed = result.code !== 0 || /"status":\s*"error"/.test(result.output);
      expect([line, failed ? result.output : 'ok']).toEqual([line, 'ok']);
      ran.push(line);
    }
    expect(ran.filter((line) => line.startsWith('mosquitto_rr'))).toHaveLength(1);
    expect(stacks.filter((s) => s.child.exitCode === null)).toHaveLength(1);
    // Ctrl-C stops everything the stack started: its ports are free for the next start.
    for (const stack of stacks) await stopStack(stack);
    for (const port of [moved, ...ports.map(String)]) {
      await waitFor(`port ${port} free after Ctrl-C`, () => portFree(Number(port)), 10_000);
    }
  }, 900_000);
});
