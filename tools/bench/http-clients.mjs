#!/usr/bin/env node
// node tools/bench/http-clients.mjs: the gateway's upstream HTTP client, undici, against the
// node:http client it replaced (keep-alive agent, TCP_NODELAY, body read and parsed as
// JSON), on the benchmark's stub upstream, in one process and one run. Prints CPU µs per
// call and calls per second for each, and writes them to docs/benchmarks.md.
import http from 'node:http';
import { join } from 'node:path';
import { Agent } from 'undici';
import { freePort, here, ready, root, start, stop, writeSection } from './harness.mjs';

const calls = Number(process.env.CALLS ?? 100_000);
const concurrency = Number(process.env.CONCURRENCY ?? 64);
const rounds = Number(process.env.ROUNDS ?? 3);
const headers = { accept: 'application/json', 'x-request-id': 'r', 'x-user-id': 'bench' };

const port = await freePort();
const upstream = start(null, [join(here, 'upstream.mjs')], { PORT: String(port) }, true);
await ready(upstream);
const origin = `http://127.0.0.1:${port}`;

const nodeAgent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64 });
/** @returns {Promise<unknown>} */
const viaNodeHttp = () =>
  new Promise((resolve, reject) => {
    const req = http.request(
      `${origin}/users`,
      { method: 'GET', agent: nodeAgent, headers },
      (res) => {
        /** @type {Buffer[]} */
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
        res.on('error', reject);
      },
    );
    req.on('socket', (socket) => socket.setNoDelay(true));
    req.on('error', reject);
    req.end();
  });

const undici = new Agent({ connections: 256, pipelining: 1, connect: { noDelay: true } });
const viaUndici = async () => {
  const res = await undici.request({ origin, path: '/users', method: 'GET', headers });
  /** @type {Buffer[]} */
  const chunks = [];
  for await (const chunk of res.body) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
};

/**
 * @param {number} n
 * @param {() => Promise<unknown>} once
 */
async function loop(n, once) {
  let started = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (started < n) {
        started++;
        await once();
      }
    }),
  );
}

/**
 * CPU µs per call and calls per second, after a warm-up.
 * @param {() => Promise<unknown>} once
 */
async function measure(once) {
  await loop(Math.min(5000, calls), once);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await loop(calls, once);
  const cpu = process.cpuUsage(cpu0);
  const seconds = (performance.now() - t0) / 1000;
  return {
    cpu_us: Math.round(((cpu.user + cpu.system) / calls) * 10) / 10,
    per_second: Math.round(calls / seconds),
  };
}

/** @type {Record<string, { cpu_us: number, per_second: number }[]>} */
const runs = { 'node:http': [], undici: [] };
try {
  for (let i = 0; i < rounds; i++) {
    runs['node:http'].push(await measure(viaNodeHttp));
    runs['undici'].push(await measure(viaUndici));
  }
} finally {
  nodeAgent.destroy();
  await undici.close();
  await stop(upstream);
}

/** @param {number[]} xs */
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const summary = Object.entries(runs).map(([client, results]) => ({
  client,
  cpu_us: median(results.map((r) => r.cpu_us)),
  per_second: median(results.map((r) => r.per_second)),
}));
const table = [
  `Run of ${new Date().toISOString()}: ${calls} GET calls at ${concurrency} in flight, median of ${rounds} rounds, client process only.`,
  '',
  '| client | CPU µs per call | calls/s |',
  '|---|---|---|',
  ...summary.map((s) => `| ${s.client} | ${s.cpu_us} | ${s.per_second} |`),
].join('\n');
console.log(table);
console.log(JSON.stringify(summary));
if (process.env.BENCH_SMOKE !== '1') {
  writeSection(join(root, 'docs/benchmarks.md'), 'http-clients', table);
}
