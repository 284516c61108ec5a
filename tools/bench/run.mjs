#!/usr/bin/env node
// npm run bench: the gateway (production build, every middleware on) against a bare relay
// doing the same MQTT -> HTTP -> MQTT round trip, measured in one run on this machine; then
// the same gateway as two workers (GATEWAY_WORKERS=2); then tracing off, on at full sampling
// and one in ten, against a local OTLP sink, in rounds that alternate the three so that a
// host whose speed drifts favours none (BENCH_TRACING=0 skips them, BENCH_TRACING_ROUNDS sets
// how many). Writes docs/benchmarks.json and the results tables in docs/benchmarks.md.
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
  ready,
  redisCpu,
  root,
  start,
  startBroker,
  stop,
  usageTree,
  waitHttp,
  writeSection,
} from './harness.mjs';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const inflight = Number(process.env.BENCH_INFLIGHT ?? 64);
const smoke = process.env.BENCH_SMOKE === '1';
const tracing = process.env.BENCH_TRACING ? process.env.BENCH_TRACING === '1' : !smoke;
const rounds = Number(process.env.BENCH_TRACING_ROUNDS ?? 3);
/** Each traced target runs `rounds` times: together about as long as one target. */
const roundSeconds = Math.max(5, Math.round(seconds / rounds));
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

/**
 * Redis command calls so far: all of them, and the script calls (EVALSHA or EVAL), each of
 * which is one round trip however many commands it runs.
 * @param {Redis} redis
 */
async function commandCalls(redis) {
  const info = await redis.info('commandstats');
  let all = 0;
  let scripts = 0;
  for (const m of info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)) {
    all += Number(m[2]);
    if (m[1] === 'evalsha' || m[1] === 'eval') scripts += Number(m[2]);
  }
  return { all, scripts };
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
 * @param {number} [duration] seconds of the measured closed loop
 */
async function measure(name, target, mqttUrl, redis, token, duration = seconds) {
  const pid = target.pid;
  // Warm up at the same load (JIT, pools, heap sizing), then the closed loop at N in
  // flight, then latency at concurrency 1. RSS is compared from the end of the warm-up.
  const warmupMs = smoke ? 300 : Math.min(10_000, Math.max(2000, (duration * 1000) / 6));
  await load(mqttUrl, { INFLIGHT: String(inflight), DURATION_MS: String(warmupMs), TOKEN: token });
  const before = usageTree(/** @type {number} */ (pid));
  const calls0 = await commandCalls(redis);
  const redis0 = await redisCpu(redis);
  const loaded = await load(mqttUrl, {
    INFLIGHT: String(inflight),
    DURATION_MS: String(duration * 1000),
    TOKEN: token,
  });
  const redis1 = await redisCpu(redis);
  const calls1 = await commandCalls(redis);
  const after = usageTree(/** @type {number} */ (pid));
  const micros = (/** @type {number} */ cpuSeconds) =>
    loaded.requests ? Math.round((cpuSeconds / loaded.requests) * 1e7) / 10 : null;
  const single = await load(mqttUrl, {
    INFLIGHT: '1',
    DURATION_MS: String(Math.max(1000, (duration * 1000) / 4)),
    TOKEN: token,
  });
  return {
    target: name,
    ...loaded,
    c1_p50_ms: single.p50_ms,
    c1_p99_ms: single.p99_ms,
    // INFO's own call is in the delta: subtract it.
    redis_commands_per_request: loaded.requests
      ? Math.round(((calls1.all - calls0.all - 1) / loaded.requests) * 100) / 100
      : null,
    redis_scripts_per_request: loaded.requests
      ? Math.round(((calls1.scripts - calls0.scripts) / loaded.requests) * 100) / 100
      : null,
    cpu_seconds: Math.round((after.cpu - before.cpu) * 100) / 100,
    cpu_us_per_request: micros(after.cpu - before.cpu),
    redis_cpu_us_per_request: micros(redis1 - redis0),
    rss_start_mib: Math.round(before.rss),
    rss_end_mib: Math.round(after.rss),
    /** @type {number | undefined} spans the gateway dropped, in the traced run */
    dropped_spans: undefined,
  };
}

const gatewayMain = mainOf('gateway');
if (!existsSync(gatewayMain)) throw new Error('build the gateway first: npx nx run gateway:build');

/**
 * Spans the gateway at `url` has dropped (`mqgw_trace_spans_dropped_total`).
 * @param {string} url
 */
async function droppedSpans(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^mqgw_trace_spans_dropped_total (\S+)$/m.exec(text)?.[1] ?? 0);
}

const { broker, url: mqttUrl } = await startBroker();
const upstreamPort = await freePort();
const upstream = start(null, [join(here, 'upstream.mjs')], { PORT: String(upstreamPort) }, true);
await ready(upstream);
const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
const redis = new Redis(redisUrl);
const prefix = `bench-${Date.now()}:`;
const token = await bearer(secret, 'bench');

/** @typedef {'off' | 'all' | 'tenth'} Traced */
/** @type {Record<Traced, string>} */
const TRACED_NAMES = { off: 'tracing off', all: 'tracing on', tenth: 'tracing 1 in 10' };

/**
 * Starts the gateway as `run` says (with a local OTLP sink when traced), measures it, stops it.
 * @param {{ name: string, workers: number, traced: Traced, round?: number }} run
 */
async function measureGateway({ name, workers, traced, round }) {
  const httpPort = await freePort();
  const sinkPort = await freePort();
  const sink =
    traced !== 'off'
      ? start(null, [join(here, 'otlp-sink.mjs')], { PORT: String(sinkPort) }, true)
      : undefined;
  if (sink) await ready(sink);
  // e.g. BENCH_GATEWAY_NODE_ARGS="--cpu-prof --cpu-prof-dir=tmp/profiles" to profile it.
  const nodeArgs = (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const gateway = start(process.execPath, [...nodeArgs, gatewayMain], {
    NODE_ENV: 'production',
    MQTT_URL: mqttUrl,
    MQTT_SESSION_EXPIRY_SECONDS: '0',
    MQTT_CLIENT_ID: `bench-gw-${process.pid}-${workers}`,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: prefix,
    SERVICES: `user-service=${upstreamUrl}`,
    HTTP_PORT: String(httpPort),
    ...jwtEnv(secret),
    RATE_LIMIT_MAX: '1000000000',
    GATEWAY_WORKERS: String(workers),
    LOG_LEVEL: 'warn',
    // Tracing off unless this is a traced run: then every request, or one in ten.
    ...(traced === 'off'
      ? { OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_SDK_DISABLED: 'true' }
      : {
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sinkPort}`,
          OTEL_TRACES_SAMPLER: traced === 'all' ? 'always_on' : 'parentbased_traceidratio',
          OTEL_TRACES_SAMPLER_ARG: traced === 'all' ? '1' : '0.1',
        }),
  });
  try {
    for (let i = 0; i < workers; i++) {
      await waitHttp(`http://127.0.0.1:${httpPort + i}/health/ready`, `gateway worker ${i}`);
    }
    const duration = round === undefined ? seconds : roundSeconds;
    const measured = await measure(name, gateway, mqttUrl, redis, token, duration);
    if (traced !== 'off')
      measured.dropped_spans = await droppedSpans(`http://127.0.0.1:${httpPort}`);
    return measured;
  } finally {
    await stop(gateway);
    if (sink) await stop(sink);
  }
}

/** @type {(Measurement & { round?: number })[]} */
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

  /** @type {{ name: string, workers: number, traced: Traced, round?: number }[]} */
  const runs = [
    { name: 'gateway', workers: 1, traced: 'off' },
    ...(smoke
      ? []
      : [{ name: 'gateway, 2 workers', workers: 2, traced: /** @type {Traced} */ ('off') }]),
  ];
  // Tracing off, every request sampled, one in ten (the parent-based ratio sampler), in turn.
  for (let round = 1; tracing && round <= rounds; round++) {
    for (const traced of /** @type {Traced[]} */ (['off', 'all', 'tenth'])) {
      runs.push({ name: `${TRACED_NAMES[traced]}, round ${round}`, workers: 1, traced, round });
    }
  }
  for (const run of runs) results.push({ ...(await measureGateway(run)), round: run.round });
} finally {
  await stop(upstream);
  await stop(broker);
  await deletePrefix(redis, prefix);
  redis.disconnect();
}

const byName = (/** @type {string} */ name) => results.find((r) => r.target === name);
const [relay, gateway] = results;
const workers2 = byName('gateway, 2 workers');
const rounded = results.filter((r) => r.round !== undefined);
/** @type {{ throughput: number, p99: number, c1_p50: number, tracing?: object }} */
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
  `| ${r.target} | ${r.throughput} | ${r.p50_ms} | ${r.p99_ms} | ${r.max_ms} | ${r.c1_p50_ms} | ${r.errors} | ${r.timeouts} | ${r.cpu_us_per_request} | ${r.redis_commands_per_request} | ${r.redis_cpu_us_per_request} | ${r.rss_start_mib} → ${r.rss_end_mib} |`;
const table = [
  `Run of ${report.date} on ${report.machine.cpus} cores, Node ${report.machine.node}: ${inflight} in flight, QoS 1, ${seconds} s per target.`,
  '',
  '| target | req/s | p50 ms | p99 ms | max ms | p50 ms at c=1 | errors | timeouts | CPU µs/req | Redis cmds/req | Redis CPU µs/req | RSS MiB |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...results.filter((r) => r.round === undefined).map(line),
  '',
  `Gateway / relay: throughput ${ratios.throughput}, p99 ${ratios.p99}, p50 at concurrency 1 ${ratios.c1_p50}.`,
  ...(workers2
    ? [
        `Two workers / one: throughput ${Math.round((workers2.throughput / gateway.throughput) * 100) / 100}.`,
      ]
    : []),
].join('\n');
const growth =
  Math.round(((gateway.rss_end_mib - gateway.rss_start_mib) / gateway.rss_start_mib) * 1000) / 10;
/** @param {boolean} ok */
const verdict = (ok) => (ok ? 'met' : '**not met**');
const reading = [
  '| target | this run | status |',
  '|---|---|---|',
  `| throughput ≥ 0.55 × relay | ${ratios.throughput} × (${gateway.throughput} against ${relay.throughput} req/s) | ${verdict(ratios.throughput >= 0.55)} |`,
  `| p50 at concurrency 1 ≤ 1 ms | ${gateway.c1_p50_ms} ms (relay ${relay.c1_p50_ms} ms) | ${verdict(gateway.c1_p50_ms <= 1)} |`,
  `| p99 at ${inflight} in flight ≤ 2.5 × relay | ${ratios.p99} × (${gateway.p99_ms} against ${relay.p99_ms} ms) | ${verdict(ratios.p99 <= 2.5)} |`,
  `| one blocking Redis round trip per request | ${gateway.redis_scripts_per_request} script calls per request (the rate-limit script; \`INFO commandstats\` counts the ${gateway.redis_commands_per_request} commands inside scripts and the batched counter writes one by one) | ${verdict((gateway.redis_scripts_per_request ?? 99) <= 1.05)} |`,
  `| zero errors and timeouts | ${gateway.errors} errors, ${gateway.timeouts} timeouts | ${verdict(gateway.errors + gateway.timeouts === 0)} |`,
  `| RSS growth < 10 % over the run | ${gateway.rss_start_mib} → ${gateway.rss_end_mib} MiB (${growth} %) | ${verdict(growth < 10)} |`,
].join('\n');
/** Each round's ratio of `traced` to tracing off, and their median. */
const tracingRatios = (/** @type {Traced} */ traced) => {
  const of = (/** @type {Traced} */ t, /** @type {number} */ round) =>
    rounded.find((r) => r.round === round && r.target.startsWith(`${TRACED_NAMES[t]},`));
  const each = [];
  for (let round = 1; round <= rounds; round++) {
    const on = of(traced, round);
    const off = of('off', round);
    if (!on || !off) continue;
    each.push({
      throughput: Math.round((on.throughput / off.throughput) * 100) / 100,
      cpu: Math.round(((on.cpu_us_per_request ?? 0) / (off.cpu_us_per_request ?? 1)) * 100) / 100,
    });
  }
  const median = (/** @type {number[]} */ values) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2
      ? sorted[mid]
      : Math.round(((sorted[mid - 1] + sorted[mid]) / 2) * 100) / 100;
  };
  return {
    each,
    throughput: median(each.map((e) => e.throughput)),
    cpu: median(each.map((e) => e.cpu)),
  };
};
const tracingSummary = rounded.length
  ? { all: tracingRatios('all'), tenth: tracingRatios('tenth') }
  : undefined;
if (tracingSummary) report.ratios.tracing = tracingSummary;
const tracingTable = tracingSummary
  ? [
      `Run of ${report.date}: the gateway with tracing off (no endpoint, the default) and on, every request sampled (\`OTEL_TRACES_SAMPLER=always_on\`) and one in ten (\`parentbased_traceidratio\`, 0.1), spans exported over OTLP/HTTP to a local sink; ${inflight} in flight, ${rounds} rounds of the three in turn, ${roundSeconds} s each.`,
      '',
      '| round | tracing | req/s | p50 ms | p99 ms | p50 ms at c=1 | CPU µs/req | RSS MiB | spans dropped |',
      '|---|---|---|---|---|---|---|---|---|',
      ...rounded.map(
        (r) =>
          `| ${r.round} | ${r.target.replace(/^tracing /, '').replace(/, round \d+$/, '')} | ${r.throughput} | ${r.p50_ms} | ${r.p99_ms} | ${r.c1_p50_ms} | ${r.cpu_us_per_request} | ${r.rss_start_mib} → ${r.rss_end_mib} | ${r.dropped_spans ?? '-'} |`,
      ),
      '',
      ...[
        { label: 'Every request', ratios: tracingSummary.all },
        { label: '1 in 10', ratios: tracingSummary.tenth },
      ].map(
        ({ label, ratios }) =>
          `${label} / off, median of the rounds: throughput ${ratios.throughput} (each round ${ratios.each.map((e) => e.throughput).join(', ')}), CPU per request ${ratios.cpu} (${ratios.each.map((e) => e.cpu).join(', ')}).`,
      ),
      `Target: every request ≥ 0.9 × off in throughput: ${verdict(tracingSummary.all.throughput >= 0.9)}.`,
    ].join('\n')
  : undefined;
console.log(table);
if (tracingTable) console.log(tracingTable);
console.log(JSON.stringify(report));
// A profiled run is slower than a real one: it prints, but writes neither file.
if (!smoke && !process.env.BENCH_GATEWAY_NODE_ARGS) {
  writeFileSync(output, JSON.stringify(report, null, 2) + '\n');
  const docs = join(root, 'docs/benchmarks.md');
  const written =
    writeSection(docs, 'results', table) &&
    writeSection(docs, 'reading', reading) &&
    (!tracingTable || writeSection(docs, 'tracing', tracingTable));
  if (written) {
    const prettier = join(root, 'node_modules/prettier/bin/prettier.cjs');
    spawnSync(process.execPath, [prettier, '--write', docs], { stdio: 'ignore' });
  }
}
process.exit(0);
