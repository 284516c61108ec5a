#!/usr/bin/env node
// Runs the whole system as built processes: the four stub services, then the gateway
// replicas (sharing the load through an MQTT shared subscription; one embedded-mode
// gateway when MQTT_URL or REDIS_URL is unset). Environment variables
// pass through to every process. It prints each process's pid and role, then the broker
// clients should use. SIGHUP to the runner reloads the gateways' routes; Ctrl-C, SIGTERM,
// a crash of the runner or of any part stops the whole process tree, so the next start
// finds its ports free. The parts share the runner's process group: closing the terminal
// hangs up the whole group, which ends the services (they have no use for SIGHUP), and the
// runner then stops the rest, the gateways' embedded broker included.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brokerUrl, clientLines, printable } from './stack/clients.mjs';
import { descendantsOf, signalAll, stillRunning } from './stack/process-tree.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const env = process.env;
// Without MQTT_URL and REDIS_URL the gateway embeds its broker and keeps its state in
// memory: that is one instance, so the default is one replica then.
const embedded = !env.MQTT_URL || !env.REDIS_URL;
const replicas = Number(env.GATEWAY_REPLICAS ?? (embedded ? 1 : 2));
if (!Number.isInteger(replicas) || replicas < 1 || replicas > 16) {
  console.error(
    `config error: Invalid GATEWAY_REPLICAS: expected an integer from 1 to 16, got ${JSON.stringify(env.GATEWAY_REPLICAS)}`,
  );
  process.exit(78);
}
if (embedded && replicas > 1) {
  console.error(
    'config error: Invalid GATEWAY_REPLICAS: more than 1 needs MQTT_URL and REDIS_URL, which replicas share',
  );
  process.exit(78);
}

/** @type {Array<[app: string, port: number]>} */
const services = [
  ['user-service', 3001],
  ['order-service', 3002],
  ['payment-service', 3003],
  ['notification-service', 3004],
];

/** @param {string} app */
const main = (app) => {
  const file = join(root, 'dist/apps', app, 'apps', app, 'src/main.js');
  if (!existsSync(file)) {
    console.error(`${file} is missing: run "npx nx run-many -t build" first`);
    process.exit(1);
  }
  return file;
};

// The parts write into the runner's pipes, so they cannot see a terminal: the runner decides
// their log format for them, as each would at the runner's place (see libs/logging).
const ci = !!env.CI && env.CI !== 'false' && env.CI !== '0';
const logFormat =
  env.LOG_FORMAT ||
  (process.stdout.isTTY && !ci && env.NODE_ENV !== 'production' ? 'pretty' : 'json');

/** @typedef {{ name: string, role: 'gateway' | 'service', child: import('node:child_process').ChildProcess, httpPort: string }} Part */
/** @type {Part[]} */
const parts = [];
let stopping = false;
/** Once the terminal is gone (closed, or the reader of a pipe), nothing more is written. */
let outputGone = false;
const stateFile = env.STACK_STATE_FILE || join(root, 'tmp/stack.json');

/**
 * @param {import('node:stream').Writable} out
 * @param {string} line
 */
function write(out, line) {
  if (!outputGone) out.write(line + '\n');
}
/** @param {string} line */
const say = (line) => write(process.stdout, `[stack] ${line}`);

// Closing the terminal hangs it up: a write then fails (EIO, or EPIPE for a pipe). That is
// the end of the session the stack belongs to, so the stack ends too.
for (const out of [process.stdout, process.stderr]) {
  out.on('error', () => {
    outputGone = true;
    void stop(1);
  });
}

/**
 * Starts a part in the runner's own process group, so that a hangup of the terminal (a HUP
 * to the whole group) reaches it too.
 * @param {string} name
 * @param {Part['role']} role
 * @param {string} app
 * @param {Record<string, string>} extraEnv
 */
function start(name, role, app, extraEnv) {
  const child = spawn(process.execPath, [main(app)], {
    cwd: root,
    env: { ...env, LOG_FORMAT: logFormat, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = `[${name}] `;
  /**
   * @param {import('node:stream').Readable} stream
   * @param {import('node:stream').Writable} out
   */
  const relay = (stream, out) => {
    let rest = '';
    stream.on('data', (chunk) => {
      const lines = (rest + chunk).split('\n');
      rest = /** @type {string} */ (lines.pop());
      for (const line of lines) write(out, prefix + line);
    });
  };
  relay(child.stdout, process.stdout);
  relay(child.stderr, process.stderr);
  child.on('exit', (code, signal) => {
    if (stopping) return;
    // A service ended by SIGHUP means the whole group was hung up: the terminal closed.
    const why = signal === 'SIGHUP' ? 'SIGHUP: the terminal hung up' : (signal ?? code);
    write(process.stderr, `${prefix}exited (${why}); stopping the stack`);
    void stop(1);
  });
  parts.push({ name, role, child, httpPort: extraEnv.HTTP_PORT ?? extraEnv.PORT ?? '' });
  say(`${name}: pid ${child.pid} (${role === 'gateway' ? 'gateway' : app})`);
}

// Static instances, so the stack works whether or not the services can reach a registry.
/** @param {string} app */
const portOf = (app) =>
  env[`${app.split('-')[0].toUpperCase()}_SERVICE_PORT`] ??
  String(/** @type {[string, number]} */ (services.find(([a]) => a === app))[1]);
const staticServices = services
  .flatMap(([app]) => {
    const url = `http://127.0.0.1:${portOf(app)}`;
    const names = app === 'user-service' || app === 'order-service' ? [app, `${app}-v2`] : [app];
    return names.map((name) => `${name}=${url}`);
  })
  .join(',');

// The payment service asks the order service for the order it charges.
const own = {
  'payment-service': {
    ORDER_SERVICE_URL: env.ORDER_SERVICE_URL ?? `http://127.0.0.1:${portOf('order-service')}`,
  },
};
say(`runner: pid ${process.pid}`);
for (const [app] of services) {
  start(app, 'service', app, {
    PORT: portOf(app),
    .../** @type {Record<string, Record<string, string>>} */ (own)[app],
  });
}

// HTTP_PORT goes to the first gateway as given, so a bad value is reported as it was
// written (`got "eighty"`); further replicas take the next hundreds.
const rawHttpPort = env.HTTP_PORT ?? '3000';
/** @param {number} i */
const httpPortOf = (i) =>
  i === 0 || !/^\d+$/.test(rawHttpPort) ? rawHttpPort : String(Number(rawHttpPort) + i * 100);
const group = env.SHARED_SUBSCRIPTION_GROUP ?? (replicas > 1 ? 'gateway' : '');
for (let i = 0; i < replicas; i++) {
  start(`gateway-${i}`, 'gateway', 'gateway', {
    HTTP_PORT: httpPortOf(i),
    SERVICES: env.SERVICES ?? staticServices,
    MQTT_CLIENT_ID: env.MQTT_CLIENT_ID ? `${env.MQTT_CLIENT_ID}-${i}` : `mqgw-stack-${i}`,
    ...(group ? { SHARED_SUBSCRIPTION_GROUP: group } : {}),
  });
}
const gateways = () => parts.filter((p) => p.role === 'gateway');

/** @type {import('./stack/process-tree.mjs').Row[]} */
let knownTree = [];

/** Waits until every gateway is ready, then says where clients go and how to reload. */
async function announce() {
  const host = !env.HTTP_HOST || env.HTTP_HOST === '0.0.0.0' ? '127.0.0.1' : env.HTTP_HOST;
  for (const gateway of gateways()) {
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${gateway.httpPort}/health/ready`;
    while (!stopping) {
      const ok = await fetch(url, { signal: AbortSignal.timeout(1000) }).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  if (stopping) return;
  // What the parts started themselves (the embedded broker), to end it even if its parent
  // is killed first.
  knownTree = descendantsOf(process.pid);
  const mqttUrl = brokerUrl(env);
  mkdirSync(dirname(stateFile), { recursive: true });
  writeFileSync(
    stateFile,
    JSON.stringify({
      pid: process.pid,
      mqttUrl: printable(mqttUrl),
      parts: parts.map((p) => ({ name: p.name, role: p.role, pid: p.child.pid, port: p.httpPort })),
    }),
  );
  say(`ready: MQTT_URL=${printable(mqttUrl)}`);
  say('clients, from another terminal:');
  for (const line of clientLines(mqttUrl)) write(process.stdout, `  ${line}`);
  say(
    `reload the routes: npm run -s cli -- routes reload (or kill -HUP ${process.pid}); Ctrl-C stops everything`,
  );
}

/** SIGHUP to the runner: each gateway loads its routes file again. */
function reload() {
  for (const gateway of gateways()) {
    say(`SIGHUP: reloading the routes of ${gateway.name} (pid ${gateway.child.pid})`);
    gateway.child.kill('SIGHUP');
  }
}

/** @param {number} code */
async function stop(code) {
  if (stopping) return;
  stopping = true;
  rmSync(stateFile, { force: true });
  const before = descendantsOf(process.pid);
  // Gateways first, so they drain before the services they call go away.
  await Promise.all(gateways().map((p) => terminate(p.child)));
  await Promise.all(parts.filter((p) => p.role === 'service').map((p) => terminate(p.child)));
  // Whatever a part started and left behind (a broker whose gateway was killed).
  signalAll(stillRunning([...knownTree, ...before]), 'SIGKILL');
  process.exit(code);
}

/**
 * @param {import('node:child_process').ChildProcess} child
 * @returns {Promise<void>}
 */
function terminate(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
process.on('SIGHUP', reload);
process.on('uncaughtException', (error) => {
  write(process.stderr, `[stack] crashed: ${error.stack ?? error.message}; stopping the stack`);
  void stop(1);
});
void announce();
