// Process plumbing shared by `npm run bench` and `npm run soak`: a private Mosquitto with
// the project's TCP settings, child processes that die with the harness, /proc sampling.
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';

export const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, '../..');
/** @param {number} ms */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** @type {Set<import('node:child_process').ChildProcess>} */
const children = new Set();
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));

/** @returns {Promise<number>} */
export const freePort = () =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (s.address());
      s.close(() => resolve(port));
    });
  });

/**
 * The project's broker settings, on a private port, without auth (loopback only).
 * @param {number} port
 */
function brokerConfig(port) {
  const project = readFileSync(join(root, 'config/mosquitto/mosquitto.conf'), 'utf8').split('\n');
  const kept = project.filter((l) =>
    /^(set_tcp_nodelay|max_packet_size|max_queued_messages)\b/.test(l),
  );
  if (!kept.includes('set_tcp_nodelay true'))
    throw new Error('project mosquitto.conf lacks set_tcp_nodelay true');
  const dir = mkdtempSync(join(tmpdir(), 'mqgw-bench-'));
  const file = join(dir, 'mosquitto.conf');
  writeFileSync(
    file,
    [
      ...kept,
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      'log_type error',
      '',
    ].join('\n'),
  );
  return file;
}

/** @param {number} port */
async function waitPort(port) {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((r) => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('connect', () => (s.destroy(), r(true)));
      s.once('error', () => r(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`port ${port} did not open`);
}

/**
 * A child process killed with the harness; `ipc` forks a Node script that can say 'ready'.
 * @param {string | null} command
 * @param {string[]} args
 * @param {Record<string, string>} env
 * @param {boolean} [ipc]
 */
export function start(command, args, env, ipc = false) {
  const child = ipc
    ? fork(args[0], args.slice(1), {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      })
    : spawn(/** @type {string} */ (command), args, {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** @param {import('node:child_process').ChildProcess} child */
export const ready = (child) =>
  new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
  });

/** @param {import('node:child_process').ChildProcess} child */
export async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
  });
}

/** Starts a private Mosquitto; resolves with the process and its URL. */
export async function startBroker() {
  const port = await freePort();
  const broker = start(process.env.MOSQUITTO_BIN ?? 'mosquitto', ['-c', brokerConfig(port)], {});
  await waitPort(port);
  return { broker, url: `mqtt://127.0.0.1:${port}` };
}

/**
 * Polls `url` until it answers 2xx.
 * @param {string} url
 * @param {string} what
 * @param {number} [attempts]
 */
export async function waitHttp(url, what, attempts = 200) {
  for (let i = 0; ; i++) {
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (i > attempts) throw new Error(`${what} did not become ready`);
    await sleep(100);
  }
}

/**
 * utime+stime (s) and RSS (MiB) of a live process, from /proc.
 * @param {number | undefined} pid
 */
export function usage(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const cpu = (Number(stat[11]) + Number(stat[12])) / 100;
    const rss =
      Number(
        /** @type {RegExpExecArray} */ (
          /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
        )[1],
      ) / 1024;
    return { cpu, rss };
  } catch {
    return { cpu: NaN, rss: NaN };
  }
}

/**
 * CPU seconds and RSS (MiB) of a process and all its descendants (a gateway's workers).
 * @param {number} pid
 */
export function usageTree(pid) {
  /** @type {Map<number, number[]>} */
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ');
      const parent = Number(stat[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // the process ended meanwhile
    }
  }
  let cpu = 0;
  let rss = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const next = /** @type {number} */ (stack.pop());
    const own = usage(next);
    if (Number.isFinite(own.cpu)) cpu += own.cpu;
    if (Number.isFinite(own.rss)) rss += own.rss;
    stack.push(...(children.get(next) ?? []));
  }
  return { cpu, rss };
}

/** @param {string} app */
export const mainOf = (app) => join(root, 'dist/apps', app, 'apps', app, 'src/main.js');

const JWT_ISSUER = 'mqgw-bench';
const JWT_AUDIENCE = 'mqgw-api';

/**
 * The gateway's token settings for a bench run: production mode requires issuer and audience.
 * @param {string} secret
 */
export const jwtEnv = (secret) => ({
  JWT_SECRET: secret,
  JWT_ISSUER,
  JWT_AUDIENCE,
});

/**
 * A bearer token that the gateway configured with {@link jwtEnv} accepts.
 * @param {string} secret
 * @param {string} [sub]
 * @param {string} [scopes]
 */
export const bearer = async (secret, sub = 'bench', scopes = '') =>
  new SignJWT({ scope: scopes })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(JWT_ISSUER)
    .setAudience(JWT_AUDIENCE)
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(secret));

/**
 * Replaces what is between `<!-- name:start -->` and `<!-- name:end -->` in a doc.
 * @param {string} file
 * @param {string} name
 * @param {string} text
 */
export function writeSection(file, name, text) {
  const doc = readFileSync(file, 'utf8');
  const open = `<!-- ${name}:start -->`;
  const start = doc.indexOf(open);
  const end = doc.indexOf(`<!-- ${name}:end -->`);
  if (start < 0 || end < start) return false;
  writeFileSync(file, `${doc.slice(0, start)}${open}\n${text}\n${doc.slice(end)}`);
  return true;
}

/**
 * Deletes every key under `prefix`, in batches (a run can leave tens of thousands).
 * @param {import('ioredis').Redis} redis
 * @param {string} prefix
 */
export async function deletePrefix(redis, prefix) {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.unlink(...keys);
  } while (cursor !== '0');
}

/**
 * CPU seconds Redis has spent, from `INFO cpu`.
 * @param {import('ioredis').Redis} redis
 */
export async function redisCpu(redis) {
  const info = await redis.info('cpu');
  const field = (/** @type {string} */ name) =>
    Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return field('used_cpu_sys') + field('used_cpu_user');
}
