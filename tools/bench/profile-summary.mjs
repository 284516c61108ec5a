#!/usr/bin/env node
// Summarises a V8 .cpuprofile (from BENCH_GATEWAY_NODE_ARGS="--cpu-prof ...") as shares of
// busy time: by package, by function (self time), and the share whose nearest non-Node
// frame is NestJS or rxjs (Nest's pipeline and what Node does for it).
// Usage: node tools/bench/profile-summary.mjs tmp/profiles/CPU....cpuprofile [top]
import { readFileSync } from 'node:fs';

/**
 * @typedef {{ functionName: string, url: string, lineNumber: number }} CallFrame
 * @typedef {{ id: number, callFrame: CallFrame, children?: number[] }} ProfileNode
 * @typedef {{ nodes: ProfileNode[], samples: number[] }} Profile
 */

const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-summary.mjs <file.cpuprofile> [top]');
const top = Number(topArg ?? 25);
/** @type {Profile} */
const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
/** @type {Map<number, number>} */
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
/** @type {Map<number, number>} */
const samples = new Map();
for (const id of profile.samples) samples.set(id, (samples.get(id) ?? 0) + 1);

const IDLE = new Set(['(idle)', '(program)']);
/** @param {string} url */
const packageOf = (url) => {
  if (url.includes('/node_modules/')) {
    const [a, b] = /** @type {string} */ (url.split('/node_modules/').pop()).split('/');
    return a.startsWith('@') ? `${a}/${b}` : a;
  }
  if (url.startsWith('node:')) return url;
  if (url.includes('/dist/')) return `app:${url.split('/src/').pop()}`;
  return url || '(native)';
};
/** @param {ProfileNode} n */
const label = (n) => {
  const { functionName, url, lineNumber } = n.callFrame;
  return `${functionName || '(anonymous)'} ${packageOf(url)}:${lineNumber}`;
};
/** @param {string} url */
const isNest = (url) => url.includes('/@nestjs/') || url.includes('/rxjs/');
/** @param {string} url */
const isNode = (url) => url === '' || url.startsWith('node:');

let busy = 0;
/** @type {Map<string, number>} */
const byPackage = new Map();
/** @type {Map<string, number>} */
const byFunction = new Map();
let nest = 0;
for (const [id, count] of samples) {
  const node = /** @type {ProfileNode} */ (nodes.get(id));
  if (IDLE.has(node.callFrame.functionName)) continue;
  busy += count;
  const pkg =
    node.callFrame.functionName === '(garbage collector)' ? '(gc)' : packageOf(node.callFrame.url);
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + count);
  byFunction.set(label(node), (byFunction.get(label(node)) ?? 0) + count);
  for (let cur = /** @type {number | undefined} */ (id); cur !== undefined; cur = parent.get(cur)) {
    const url = /** @type {ProfileNode} */ (nodes.get(cur)).callFrame.url;
    if (isNode(url)) continue;
    if (isNest(url)) nest += count;
    break;
  }
}
/** @param {number} n */
const pct = (n) => `${((100 * n) / busy).toFixed(1).padStart(5)} %`;
/** @param {Map<string, number>} map */
const list = (map) =>
  [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, v]) => `${pct(v)}  ${k}`);
console.log(`busy samples: ${busy}`);
console.log(`NestJS pipeline (nearest non-Node frame in @nestjs or rxjs): ${pct(nest)}`);
console.log('\nby package:\n' + list(byPackage).join('\n'));
console.log('\nby function (self):\n' + list(byFunction).join('\n'));
