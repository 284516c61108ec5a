// Mixed-route MQTT 5 load for the soak: every route family of api/v1, with ids taken from
// earlier replies so each request should succeed. MODE=closed keeps INFLIGHT requests
// outstanding (the capacity probe); MODE=open sends RATE requests per second whatever
// happens. Prints one JSON line per window, then a summary line.
import { connectRequester, ms, newHistogram } from './requester.mjs';

/**
 * @typedef {[
 *   topic: string,
 *   body: object,
 *   headers?: Record<string, string>,
 *   onSuccess?: (data: Record<string, unknown>) => void,
 * ]} Request
 */

const mqttUrl = process.env.MQTT_URL;
if (!mqttUrl) throw new Error('soak-load.mjs needs MQTT_URL');
const mode = process.env.MODE ?? 'open';
const rate = Number(process.env.RATE ?? 100);
const inflight = Number(process.env.INFLIGHT ?? 64);
const durationMs = Number(process.env.DURATION_MS ?? 10_000);
const windowMs = Number(process.env.WINDOW_MS ?? 10_000);
const timeoutMs = Number(process.env.TIMEOUT_MS ?? 10_000);
const auth = `Bearer ${process.env.TOKEN}`;
const run = `${process.pid}-${Date.now()}`;

/** @type {{ users: string[], orders: string[], payments: string[] }} */
const recent = { users: [], orders: [], payments: [] };
/**
 * @param {string[]} list
 * @param {unknown} id
 */
const remember = (list, id) => {
  if (typeof id !== 'string') return;
  list.push(id);
  if (list.length > 1000) list.shift();
};
/**
 * @param {string[]} list
 * @returns {string | undefined}
 */
const pick = (list) => list[Math.floor(Math.random() * list.length)];
let seq = 0;

/**
 * [weight, build] — build returns [topic, body, headers?, onSuccess?].
 * @type {[[number, () => Request], ...Array<[number, () => Request | null]>]}
 */
const MIX = [
  [
    10,
    () => [
      'api/v1/users/create',
      // One profile per user: as an administrator, the soak creates them for many users.
      {
        user_id: `soak-${run}-${seq}`,
        name: `Soak ${seq}`,
        email: `soak-${run}-${seq}@example.com`,
      },
      undefined,
      (d) => remember(recent.users, d.user_id),
    ],
  ],
  [20, () => (recent.users.length ? [`api/v1/users/get/${pick(recent.users)}`, {}] : null)],
  [
    10,
    () => [
      'api/v1/orders/create',
      { items: [{ sku: 'sku-1', quantity: 1 }], currency: 'EUR' },
      undefined,
      (d) => remember(recent.orders, d.order_id),
    ],
  ],
  [15, () => (recent.orders.length ? [`api/v1/orders/get/${pick(recent.orders)}`, {}] : null)],
  [
    10,
    // A payment charges one of the caller's own orders, its total.
    () =>
      recent.orders.length
        ? [
            'api/v1/payments/process',
            { order_id: pick(recent.orders) },
            { 'idempotency-key': `soak-${run}-${seq}` },
            (d) => remember(recent.payments, d.payment_id),
          ]
        : null,
  ],
  [
    10,
    () => (recent.payments.length ? [`api/v1/payments/status/${pick(recent.payments)}`, {}] : null),
  ],
  [
    15,
    () => [
      'api/v1/notifications/send',
      { recipient: 'soak@example.com', channel: 'email', message: 'hello' },
    ],
  ],
  [10, () => ['api/v1/notifications/templates/welcome', {}]],
];
const totalWeight = MIX.reduce((s, [w]) => s + w, 0);
function nextRequest() {
  seq++;
  let r = Math.random() * totalWeight;
  for (const [weight, build] of MIX) {
    if ((r -= weight) < 0) return build() ?? MIX[0][1]();
  }
  return MIX[0][1]();
}

const requester = await connectRequester(mqttUrl, `soak-${process.pid}`, timeoutMs);
const totals = { sent: 0, ok: 0, errors: 0, timeouts: 0, histogram: newHistogram() };
let win = { sent: 0, ok: 0, errors: 0, timeouts: 0, histogram: newHistogram() };
/** @type {Array<{ topic: string, body: import('./requester.mjs').ReplyBody }>} */
const errorSamples = [];
let stopping = false;

function send() {
  const [topic, body, headers, onSuccess] = nextRequest();
  totals.sent++;
  win.sent++;
  requester.send(topic, JSON.stringify(body), { authorization: auth, ...headers }, (result) => {
    if (result.timeout) {
      totals.timeouts++;
      win.timeouts++;
    } else if (result.body.status === 'success') {
      totals.histogram.recordValue(result.micros);
      win.histogram.recordValue(result.micros);
      totals.ok++;
      win.ok++;
      onSuccess?.(result.body.data ?? {});
    } else {
      totals.histogram.recordValue(result.micros);
      win.histogram.recordValue(result.micros);
      totals.errors++;
      win.errors++;
      if (errorSamples.length < 5) {
        errorSamples.push({ topic, body: result.body });
        process.stderr.write(`error on ${topic}: ${JSON.stringify(result.body)}\n`);
      }
    }
    if (mode === 'closed' && !stopping) send();
  });
}

/**
 * @param {typeof totals} s
 * @param {number} elapsedMs
 */
const summary = (s, elapsedMs) => ({
  sent: s.sent,
  ok: s.ok,
  errors: s.errors,
  timeouts: s.timeouts,
  throughput: Math.round(((s.ok + s.errors) * 1000) / elapsedMs),
  p50_ms: ms(s.histogram.getValueAtPercentile(50)),
  p99_ms: ms(s.histogram.getValueAtPercentile(99)),
  max_ms: ms(s.histogram.maxValue),
});

const started = performance.now();
let windowStart = started;
const reporter = setInterval(() => {
  const now = performance.now();
  process.stdout.write(
    JSON.stringify({
      window: true,
      t_s: Math.round((now - started) / 1000),
      ...summary(win, now - windowStart),
    }) + '\n',
  );
  win = { sent: 0, ok: 0, errors: 0, timeouts: 0, histogram: newHistogram() };
  windowStart = now;
}, windowMs);

let ticker;
if (mode === 'closed') {
  for (let i = 0; i < inflight; i++) send();
} else {
  // Open loop: every 10 ms send what the schedule owes, so the rate holds even if replies lag.
  ticker = setInterval(() => {
    const owed = Math.floor(((performance.now() - started) / 1000) * rate) - totals.sent;
    for (let i = 0; i < owed; i++) send();
  }, 10);
}
await new Promise((r) => setTimeout(r, durationMs));
stopping = true;
clearInterval(ticker);
const elapsed = performance.now() - started;
totals.timeouts += await requester.drain();
clearInterval(reporter);
process.stdout.write(
  JSON.stringify({ summary: true, mode, rate, ...summary(totals, elapsed), errorSamples }) + '\n',
);
await requester.close();
process.exit(0);
