#!/usr/bin/env node
// npm run soak: the whole system (private Mosquitto, Redis, the four stub services, one
// gateway from the production build) under mixed api/v1 traffic. After a warm-up it
// measures capacity on that mix (closed loop, 64 in flight), then runs an open loop at
// half of it for SOAK_SECONDS (600) and samples the gateway's RSS and CPU every window.
// Writes docs/soak.json and the soak section of docs/benchmarks.md.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import {
  bearer,
  jwtEnv,
  deletePrefix,
  freePort,
  here,
  mainOf,
  root,
  sleep,
  start,
  startBroker,
  stop,
  usage,
  waitHttp,
  writeSection,
} from './harness.mjs';

const seconds = Number(process.env.SOAK_SECONDS ?? 600);
const probeSeconds = Number(process.env.SOAK_PROBE_SECONDS ?? 10);
const windowMs = Number(process.env.SOAK_WINDOW_MS ?? (seconds >= 60 ? 10_000 : 1000));
const smoke = process.env.SOAK_SMOKE === '1';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const secret = 'soak-secret-soak-secret-soak-secret-soak!!';
const SERVICES = ['user-service', 'order-service', 'payment-service', 'notification-service'];

/**
 * @typedef {{
 *   sent: number,
 *   ok: number,
 *   errors: number,
 *   timeouts: number,
 *   throughput: number,
 *   p50_ms: number,
 *   p99_ms: number,
 *   max_ms: number,
 * }} Stats
 * @typedef {Stats & { window: true, t_s: number }} Window
 * @typedef {Stats & {
 *   summary: true,
 *   mode: string,
 *   rate: number,
 *   errorSamples: Array<{ topic: string, body: import('./requester.mjs').ReplyBody }>,
 * }} Summary
 */

for (const app of ['gateway', ...SERVICES])
  if (!existsSync(mainOf(app))) throw new Error(`build first: npx nx run-many -t build (${app})`);

/**
 * @param {string} mqttUrl
 * @param {Record<string, string>} env
 * @param {(window: Window) => void} [onWindow]
 * @returns {Promise<Summary>}
 */
function load(mqttUrl, env, onWindow) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(here, 'soak-load.mjs')], {
      env: { ...process.env, MQTT_URL: mqttUrl, WINDOW_MS: String(windowMs), ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buffer = '';
    /** @type {Summary | undefined} */
    let summary;
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = JSON.parse(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
        if (line.summary) summary = line;
        else onWindow?.(line);
      }
    });
    child.on('exit', (code) =>
      code === 0 && summary ? resolve(summary) : reject(new Error(`soak load exited ${code}`)),
    );
  });
}

const { broker, url: mqttUrl } = await startBroker();
const redis = new Redis(redisUrl);
const prefix = `soak-${Date.now()}:`;
const processes = [];
let report;
try {
  let orderServiceUrl = '';
  for (const app of SERVICES) {
    const port = await freePort();
    if (app === 'order-service') orderServiceUrl = `http://127.0.0.1:${port}`;
    processes.push(
      start(process.execPath, [mainOf(app)], {
        PORT: String(port),
        // The payment service asks the order service for the order it charges.
        ...(app === 'payment-service' ? { ORDER_SERVICE_URL: orderServiceUrl } : {}),
        REDIS_URL: redisUrl,
        REDIS_KEY_PREFIX: prefix,
        LOG_LEVEL: 'warn',
      }),
    );
    await waitHttp(`http://127.0.0.1:${port}/health`, app);
    for (let i = 0; (await redis.hlen(`${prefix}services:{${app}}:data`)) === 0; i++) {
      if (i > 100) throw new Error(`${app} did not register`);
      await sleep(100);
    }
  }
  const httpPort = await freePort();
  const gateway = start(process.execPath, [mainOf('gateway')], {
    NODE_ENV: 'production',
    MQTT_URL: mqttUrl,
    MQTT_CLIENT_ID: `soak-gw-${process.pid}`,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: prefix,
    HTTP_PORT: String(httpPort),
    ...jwtEnv(secret),
    RATE_LIMIT_MAX: '1000000000',
    // The whole mix runs as one principal: lift the per-principal bounds on idempotency
    // records (10,000 and 4 MiB by default), which a real user never reaches at this rate.
    IDEMPOTENCY_MAX_KEYS: '1000000000',
    IDEMPOTENCY_MAX_BYTES: '100000000000',
    LOG_LEVEL: 'warn',
  });
  processes.push(gateway);
  await waitHttp(`http://127.0.0.1:${httpPort}/health/ready`, 'gateway');
  // An administrator: the stub services let it create profiles for others and read any.
  const token = await bearer(secret, 'soak', 'admin');

  // Warm up (JIT, connection pools, heaps) before measuring capacity, as the bench does.
  await load(mqttUrl, {
    MODE: 'closed',
    INFLIGHT: '64',
    DURATION_MS: String(Math.min(10_000, probeSeconds * 500)),
    TOKEN: token,
  });
  const probe = await load(mqttUrl, {
    MODE: 'closed',
    INFLIGHT: '64',
    DURATION_MS: String(probeSeconds * 1000),
    TOKEN: token,
  });
  const rate = Math.max(1, Math.round(probe.throughput / 2));
  console.error(
    `capacity on the mix: ${probe.throughput} req/s; soaking at ${rate} req/s for ${seconds} s`,
  );

  /** @type {Array<Window & { gateway_rss_mib: number, gateway_cpu_s: number }>} */
  const samples = [];
  const cpu0 = usage(gateway.pid).cpu;
  const soak = await load(
    mqttUrl,
    { MODE: 'open', RATE: String(rate), DURATION_MS: String(seconds * 1000), TOKEN: token },
    (window) => {
      const { rss, cpu } = usage(gateway.pid);
      samples.push({ ...window, gateway_rss_mib: Math.round(rss), gateway_cpu_s: cpu });
      if (!smoke)
        console.error(
          `t=${window.t_s}s ok=${window.ok} errors=${window.errors} timeouts=${window.timeouts} p99=${window.p99_ms}ms rss=${Math.round(rss)}MiB`,
        );
    },
  );
  const cpuSeconds = Math.round((usage(gateway.pid).cpu - cpu0) * 10) / 10;
  // Memory is compared after the first minute (heap sizing), first minute against the last.
  const minute = Math.max(1, Math.round(60_000 / windowMs));
  /** @param {number[]} xs */
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const rss = samples.map((s) => s.gateway_rss_mib);
  const early = median(rss.slice(minute, 2 * minute).length ? rss.slice(minute, 2 * minute) : rss);
  const late = median(rss.slice(-minute));
  report = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version },
    settings: { seconds, probe_seconds: probeSeconds, window_ms: windowMs },
    capacity: probe.throughput,
    rate,
    result: soak,
    gateway: {
      cpu_seconds: cpuSeconds,
      rss_mib: {
        min: Math.min(...rss),
        max: Math.max(...rss),
        second_minute: early,
        last_minute: late,
      },
      rss_growth_percent: Math.round(((late - early) / early) * 1000) / 10,
    },
    windows: samples,
  };
} finally {
  for (const child of processes.reverse()) await stop(child);
  await stop(broker);
  await deletePrefix(redis, prefix);
  redis.disconnect();
}

const r = report.result;
const g = report.gateway;
const text = [
  `Run of ${report.date} on ${report.machine.cpus} cores, Node ${report.machine.node}: capacity on the mix ${report.capacity} req/s (64 in flight, ${probeSeconds} s); soak at ${report.rate} req/s for ${seconds} s.`,
  '',
  '| requests | ok | errors | timeouts | req/s | p50 ms | p99 ms | max ms | gateway CPU s | gateway RSS MiB (2nd minute → last minute, max) | RSS growth |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
  `| ${r.sent} | ${r.ok} | ${r.errors} | ${r.timeouts} | ${r.throughput} | ${r.p50_ms} | ${r.p99_ms} | ${r.max_ms} | ${g.cpu_seconds} | ${g.rss_mib.second_minute} → ${g.rss_mib.last_minute}, ${g.rss_mib.max} | ${g.rss_growth_percent} % |`,
].join('\n');
console.log(text);
console.log(JSON.stringify({ ...report, windows: undefined }));
if (!smoke) {
  writeFileSync(join(root, 'docs/soak.json'), JSON.stringify(report, null, 2) + '\n');
  const docs = join(root, 'docs/benchmarks.md');
  if (writeSection(docs, 'soak', text)) {
    const prettier = join(root, 'node_modules/prettier/bin/prettier.cjs');
    spawnSync(process.execPath, [prettier, '--write', docs], { stdio: 'ignore' });
  }
}
process.exit(r.errors + r.timeouts === 0 ? 0 : 1);
