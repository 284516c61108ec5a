#!/usr/bin/env node
// npm run bench:overload: the gateway (production build, every step on) past its capacity.
// Measures the capacity C (closed loop), then offers open-loop load at 0.5, 1, 2 and 3 × C,
// each request with a 2 s client deadline; then a 10 s surge at 3 × C and what follows it;
// then other callers beside a flood at 3 × C, unauthenticated and from one principal. Per
// phase it records what was served within the deadline, refused (by reason), failed or never
// answered, and where the CPU went (gateway, broker, load generators, upstream, Redis).
// Writes docs/overload.json and the overload tables in docs/benchmarks.md.
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
  jwtEnv,
  mainOf,
  ready,
  redisCpu,
  root,
  start,
  startBroker,
  stop,
  usage,
  usageTree,
  waitHttp,
  writeSection,
} from './harness.mjs';

const seconds = Number(process.env.OVERLOAD_SECONDS ?? 10);
const deadlineMs = Number(process.env.OVERLOAD_DEADLINE_MS ?? 2000);
const smoke = process.env.BENCH_SMOKE === '1';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const secret = 'bench-secret-bench-secret-bench-secret!!';
const TOPIC = 'api/v1/users/list';
const phaseMs = (smoke ? 1 : seconds) * 1000;
// For investigating one phase: OVERLOAD_ONLY="3,unauth" runs only those (0.5, 1, 2, 3,
// surge, unauth, flood) and writes nothing; OVERLOAD_CAPACITY skips measuring C;
// BENCH_GATEWAY_NODE_ARGS="--cpu-prof --cpu-prof-dir=tmp/profiles" profiles the gateway.
const only = process.env.OVERLOAD_ONLY?.split(',');
const runs = (/** @type {string} */ key) => !only || only.includes(key);
const nodeArgs = (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean);

/**
 * @typedef {{ schedule: { rate: number, ms: number }[], cpu_seconds: number, sent: number,
 *   served: number, late: number, no_answer: number, refused: Record<string, number>,
 *   errors: Record<string, number>, goodput_per_s: number, served_p50_ms: number | null,
 *   served_p99_ms: number | null, bucket_ms: number, buckets: { sent: number, served: number }[] }} OpenLoad
 */

/**
 * Runs one open-loop generator to completion.
 * @param {string} mqttUrl
 * @param {string} schedule
 * @param {string[]} tokens
 * @returns {Promise<OpenLoad>}
 */
function openLoad(mqttUrl, schedule, tokens) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(here, 'open-load.mjs')], {
      env: {
        ...process.env,
        MQTT_URL: mqttUrl,
        TOPIC,
        RATE_SCHEDULE: schedule,
        DEADLINE_MS: String(deadlineMs),
        TOKENS: JSON.stringify(tokens),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`open-load exited ${code}`)),
    );
  });
}

/**
 * The closed-loop capacity: requests per second at 64 in flight.
 * @param {string} mqttUrl
 * @param {string} token
 * @returns {Promise<number>}
 */
function capacity(mqttUrl, token) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(here, 'load.mjs')], {
      env: {
        ...process.env,
        MQTT_URL: mqttUrl,
        TOPIC,
        INFLIGHT: '64',
        DURATION_MS: String(phaseMs),
        TOKEN: token,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out).throughput) : reject(new Error(`load exited ${code}`)),
    );
  });
}

const gatewayMain = mainOf('gateway');
if (!existsSync(gatewayMain)) throw new Error('build the gateway first: npx nx run gateway:build');

const { broker, url: mqttUrl } = await startBroker();
const upstreamPort = await freePort();
const upstream = start(null, [join(here, 'upstream.mjs')], { PORT: String(upstreamPort) }, true);
await ready(upstream);
const redis = new Redis(redisUrl);
const prefix = `overload-${Date.now()}:`;
const tokenOf = (/** @type {string} */ sub) => bearer(secret, sub);
const legit = await Promise.all(['ada', 'bob', 'cy', 'dee'].map(tokenOf));
const flooder = await tokenOf('flood');
const garbage = Array.from({ length: 16 }, (_, i) => `garbage.${i}.token`);

const httpPort = await freePort();
const gateway = start(process.execPath, [...nodeArgs, gatewayMain], {
  NODE_ENV: 'production',
  MQTT_URL: mqttUrl,
  MQTT_SESSION_EXPIRY_SECONDS: '0',
  MQTT_CLIENT_ID: `overload-gw-${process.pid}`,
  REDIS_URL: redisUrl,
  REDIS_KEY_PREFIX: prefix,
  SERVICES: `user-service=http://127.0.0.1:${upstreamPort}`,
  HTTP_PORT: String(httpPort),
  ...jwtEnv(secret),
  RATE_LIMIT_MAX: '1000000000',
  LOG_LEVEL: 'warn',
});

/**
 * Messages the gateway has read: each is answered (counted in `mqgw_requests_total` or, if
 * refused under load, `mqgw_refused_requests_total`) or dropped. What was sent and not read,
 * the broker dropped (its queue for the gateway full) or still held.
 */
async function readByGateway() {
  const res = await fetch(`http://127.0.0.1:${httpPort}/metrics`);
  if (!res.ok) throw new Error(`overload: the gateway's /metrics answered ${res.status}`);
  const text = await res.text();
  let read = 0;
  for (const line of text.split('\n')) {
    if (/^mqgw_(requests|refused_requests|dropped_requests)_total[{ ]/.test(line)) {
      read += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return read;
}

/** @type {Record<string, unknown>[]} */
const phases = [];
let best = 0;
try {
  await waitHttp(`http://127.0.0.1:${httpPort}/health/ready`, 'gateway');
  // Warm-up, then the capacity everything else is measured against.
  await capacity(mqttUrl, legit[0]);
  const c = Number(process.env.OVERLOAD_CAPACITY ?? 0) || (await capacity(mqttUrl, legit[0]));

  /**
   * One phase: the generators given, run together; CPU of each part over the phase.
   * @param {string} name
   * @param {{ what: string, schedule: string, tokens: string[] }[]} loads
   */
  const phase = async (name, loads) => {
    const read0 = await readByGateway();
    const cpu0 = {
      gateway: usageTree(/** @type {number} */ (gateway.pid)).cpu,
      broker: usage(broker.pid).cpu,
      upstream: usage(upstream.pid).cpu,
      redis: await redisCpu(redis),
    };
    const results = await Promise.all(loads.map((l) => openLoad(mqttUrl, l.schedule, l.tokens)));
    const cpu = {
      gateway: usageTree(/** @type {number} */ (gateway.pid)).cpu - cpu0.gateway,
      broker: usage(broker.pid).cpu - cpu0.broker,
      load: results.reduce((sum, r) => sum + r.cpu_seconds, 0),
      upstream: usage(upstream.pid).cpu - cpu0.upstream,
      redis: (await redisCpu(redis)) - cpu0.redis,
    };
    const record = {
      name,
      loads: loads.map((l, i) => ({ what: l.what, ...results[i], buckets: undefined })),
      gateway_read: (await readByGateway()) - read0,
      cpu_seconds: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, round(v, 2)])),
    };
    phases.push(record);
    process.stderr.write(`overload: ${name} done\n`);
    return results;
  };

  for (const multiple of [0.5, 1, 2, 3]) {
    if (!runs(String(multiple))) continue;
    const rate = Math.round(c * multiple);
    const [r] = await phase(`${multiple} × C`, [
      { what: 'valid', schedule: `${rate}:${phaseMs}`, tokens: legit },
    ]);
    best = Math.max(best, r.goodput_per_s);
  }

  const others = Math.round(0.3 * c);
  const flood = Math.round(3 * c);
  const beside = {
    unauth: () =>
      phase('0.3 × C of valid requests beside an unauthenticated flood at 3 × C', [
        { what: 'others', schedule: `${others}:${phaseMs}`, tokens: legit },
        { what: 'flood', schedule: `${flood}:${phaseMs}`, tokens: garbage },
      ]),
    flood: () =>
      phase('0.3 × C from four principals beside one principal flooding at 3 × C', [
        { what: 'others', schedule: `${others}:${phaseMs}`, tokens: legit },
        { what: 'flood', schedule: `${flood}:${phaseMs}`, tokens: [flooder] },
      ]),
  };
  if (only) {
    if (runs('unauth')) await beside.unauth();
    if (runs('flood')) await beside.flood();
    console.log([`C = ${c} req/s`, ...rowsOf(phases)].join('\n'));
  } else {
    // A surge at 3 × C, then 0.5 × C: when is everything served again?
    const [surge] = await phase('surge 3 × C, then 0.5 × C', [
      {
        what: 'valid',
        schedule: `${Math.round(3 * c)}:${phaseMs},${Math.round(0.5 * c)}:${phaseMs}`,
        tokens: legit,
      },
    ]);
    const recoveryMs = recovery(surge, phaseMs);
    /** @type {Record<string, unknown>} */ (phases[phases.length - 1]).recovery_ms = recoveryMs;
    await beside.unauth();
    await beside.flood();
    report(c, recoveryMs);
  }
} finally {
  await stop(gateway);
  await stop(upstream);
  await stop(broker);
  await deletePrefix(redis, prefix);
  redis.disconnect();
}

/**
 * Milliseconds from the end of the surge until a 250 ms slice of sends is served in full
 * (95 %) again.
 * @param {OpenLoad} result
 * @param {number} surgeMs
 */
function recovery(result, surgeMs) {
  const first = Math.ceil(surgeMs / result.bucket_ms);
  for (let i = first; i < result.buckets.length; i++) {
    const b = result.buckets[i];
    if (b.sent > 0 && b.served / b.sent >= 0.95) return (i - first) * result.bucket_ms;
  }
  return null;
}

/**
 * @param {number} value
 * @param {number} digits
 */
function round(value, digits) {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * @param {number} n
 * @param {number} d
 */
function pct(n, d) {
  return d > 0 ? `${round((100 * n) / d, 1)} %` : '–';
}

/**
 * One table row per load of each phase.
 * @param {Record<string, unknown>[]} list
 */
function rowsOf(list) {
  const sum = (/** @type {Record<string, number>} */ o) =>
    Object.entries(o)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || '0';
  return list.flatMap((p) =>
    /** @type {(OpenLoad & { what: string })[]} */ (p.loads).map((l) => {
      const cpu = /** @type {Record<string, number>} */ (p.cpu_seconds);
      return `| ${p.name} | ${l.what} | ${l.sent} | ${l.served} (${pct(l.served, l.sent)}) | ${l.goodput_per_s} | ${sum(l.refused)} | ${sum(l.errors)} | ${l.late + l.no_answer} | ${l.served_p50_ms ?? '–'} / ${l.served_p99_ms ?? '–'} | ${p.gateway_read} | ${cpu.gateway} · ${cpu.broker} · ${cpu.load} · ${cpu.upstream} · ${cpu.redis} |`;
    }),
  );
}

/**
 * Where the CPU went at 3 × C: each part's CPU-seconds, and the gateway's against the one
 * core its single process can use, per message it read there and at 1 × C.
 */
function cpuAt3() {
  const cpuOf = (/** @type {number} */ i) =>
    /** @type {Record<string, number>} */ (phases[i].cpu_seconds);
  const readOf = (/** @type {number} */ i) => /** @type {number} */ (phases[i].gateway_read);
  const cpu = cpuOf(3);
  const seconds = phaseMs / 1000;
  const us = (/** @type {number} */ i) => Math.round((cpuOf(i).gateway / readOf(i)) * 1e7) / 10;
  return [
    `Where the CPU went at 3 × C, in ${seconds} s: gateway ${cpu.gateway} CPU-seconds`,
    `(${pct(cpu.gateway, seconds)} of the one core its process can use), broker ${cpu.broker},`,
    `load generators ${cpu.load}, upstream ${cpu.upstream}, Redis ${cpu.redis}, of the`,
    `${cpus().length * seconds} the host has. The gateway spent ${us(3)} µs per request it read`,
    `at 3 × C, ${us(1)} µs at 1 × C.`,
  ].join(' ');
}

/**
 * @param {number} c
 * @param {number | null} recoveryMs
 */
function report(c, recoveryMs) {
  const rows = rowsOf(phases);
  const at3 = /** @type {OpenLoad} */ (
    /** @type {OpenLoad[]} */ (/** @type {Record<string, unknown>} */ (phases[3]).loads)[0]
  );
  const fair = phases.slice(5).map((p) => {
    const l = /** @type {OpenLoad[]} */ (p.loads)[0];
    return l.served / l.sent;
  });
  const verdict = (/** @type {boolean} */ ok) => (ok ? 'met' : '**not met**');
  const table = [
    `Run of ${new Date().toISOString()} on ${cpus().length} cores, Node ${process.version}: capacity C = ${c} req/s (closed loop, 64 in flight), ${phaseMs / 1000} s per phase, QoS 1, client deadline ${deadlineMs} ms (message expiry and \`deadline\`).`,
    '',
    '| phase | load | sent | served within the deadline | goodput req/s | refused (reason) | other errors | late or no answer | served p50 / p99 ms | read by the gateway (phase) | CPU s: gateway · broker · load · upstream · Redis |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    '| target | this run | status |',
    '|---|---|---|',
    `| goodput at 3 × C ≥ 0.9 × the best goodput | ${at3.goodput_per_s} against ${best} req/s (${round(at3.goodput_per_s / best, 2)} ×) | ${verdict(at3.goodput_per_s >= 0.9 * best)} |`,
    `| p99 of served at 3 × C ≤ 250 ms | ${at3.served_p99_ms} ms | ${verdict((at3.served_p99_ms ?? Infinity) <= 250)} |`,
    `| served again within 2 s of a 10 s surge at 3 × C | ${recoveryMs === null ? 'never, in the run' : `${recoveryMs} ms`} | ${verdict(recoveryMs !== null && recoveryMs <= 2000)} |`,
    `| other principals served ≥ 95 % beside an unauthenticated flood at 3 × C | ${pct(fair[0] * 100, 100)} | ${verdict(fair[0] >= 0.95)} |`,
    `| other principals served ≥ 95 % beside one principal flooding at 3 × C | ${pct(fair[1] * 100, 100)} | ${verdict(fair[1] >= 0.95)} |`,
    '',
    cpuAt3(),
  ].join('\n');
  console.log(table);
  // The smoke run (in the e2e suite) reads the phases from the last line.
  if (smoke) console.log(JSON.stringify({ capacity: c, phases }));
  if (!smoke) {
    writeFileSync(
      join(root, 'docs/overload.json'),
      JSON.stringify({ date: new Date().toISOString(), capacity: c, best, phases }, null, 2) + '\n',
    );
    const docs = join(root, 'docs/benchmarks.md');
    if (writeSection(docs, 'overload', table)) {
      const prettier = join(root, 'node_modules/prettier/bin/prettier.cjs');
      spawnSync(process.execPath, [prettier, '--write', docs], { stdio: 'ignore' });
    }
  }
}
process.exit(0);
