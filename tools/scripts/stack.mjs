#!/usr/bin/env node
// Runs the whole system as built processes: the four stub services, then the gateway
// replicas (sharing the load through an MQTT shared subscription; one embedded-mode
// gateway when MQTT_URL or REDIS_URL is unset). Environment variables
// pass through to every process. Ctrl-C or SIGTERM stops everything cleanly.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** @type {import('node:child_process').ChildProcess[]} */
const children = [];
let stopping = false;

/**
 * @param {string} name
 * @param {string} app
 * @param {Record<string, string>} extraEnv
 */
function start(name, app, extraEnv) {
  const child = spawn(process.execPath, [main(app)], {
    cwd: root,
    env: { ...env, ...extraEnv },
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
      for (const line of lines) out.write(prefix + line + '\n');
    });
  };
  relay(child.stdout, process.stdout);
  relay(child.stderr, process.stderr);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${prefix}exited (${signal ?? code}); stopping the stack`);
      void stop(1);
    }
  });
  children.push(child);
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
for (const [app] of services) {
  start(app, app, {
    PORT: portOf(app),
    .../** @type {Record<string, Record<string, string>>} */ (own)[app],
  });
}

const group = env.SHARED_SUBSCRIPTION_GROUP ?? (replicas > 1 ? 'gateway' : '');
const basePort = Number(env.HTTP_PORT ?? 3000);
for (let i = 0; i < replicas; i++) {
  start(`gateway-${i}`, 'gateway', {
    HTTP_PORT: String(basePort + i * 100),
    SERVICES: env.SERVICES ?? staticServices,
    MQTT_CLIENT_ID: env.MQTT_CLIENT_ID ? `${env.MQTT_CLIENT_ID}-${i}` : `mqgw-stack-${i}`,
    ...(group ? { SHARED_SUBSCRIPTION_GROUP: group } : {}),
  });
}

/** @param {number} code */
async function stop(code) {
  if (stopping) return;
  stopping = true;
  // Gateways first, so they drain before the services they call go away.
  const gateways = children.slice(services.length);
  const upstreams = children.slice(0, services.length);
  await Promise.all(gateways.map(terminate));
  await Promise.all(upstreams.map(terminate));
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
