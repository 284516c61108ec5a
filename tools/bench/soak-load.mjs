// Mixed-route MQTT 5 load for the soak: every route family of api/v1, with ids taken from
// earlier replies so each request should succeed. MODE=closed keeps INFLIGHT requests
// outstanding (the capacity probe); MODE=open sends RATE requests per second whatever
// happens. Prints one JSON line per window, then a summary line.
import { randomUUID } from 'node:crypto';
import hdr from 'hdr-histogram-js';
import mqtt from 'mqtt';

const mode = process.env.MODE ?? 'open';
const rate = Number(process.env.RATE ?? 100);
const inflight = Number(process.env.INFLIGHT ?? 64);
const durationMs = Number(process.env.DURATION_MS ?? 10_000);
const windowMs = Number(process.env.WINDOW_MS ?? 10_000);
const timeoutMs = Number(process.env.TIMEOUT_MS ?? 10_000);
const auth = `Bearer ${process.env.TOKEN}`;
const run = `${process.pid}-${Date.now()}`;
const newHistogram = () =>
  hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000 });

const recent = { users: [], orders: [], payments: [] };
const remember = (list, id) => {
  if (typeof id !== 'string') return;
  list.push(id);
  if (list.length > 1000) list.shift();
};
const pick = (list) => list[Math.floor(Math.random() * list.length)];
let seq = 0;

/** [weight, build] — build returns [topic, body, headers?, onSuccess?]. */
const MIX = [
  [
    10,
    () => [
      'api/v1/users/create',
      { name: `Soak ${seq}`, email: `soak-${run}-${seq}@example.com` },
      undefined,
      (d) => remember(recent.users, d.user_id),
    ],
  ],
  [20, () => (recent.users.length ? [`api/v1/users/get/${pick(recent.users)}`, {}] : null)],
  [
    10,
    () => [
      'api/v1/orders/create',
      {
        user_id: pick(recent.users) ?? 'u0',
        items: [{ sku: 'sku-1', quantity: 1, price: 9.5 }],
        currency: 'EUR',
      },
      undefined,
      (d) => remember(recent.orders, d.order_id),
    ],
  ],
  [15, () => (recent.orders.length ? [`api/v1/orders/get/${pick(recent.orders)}`, {}] : null)],
  [
    10,
    () => [
      'api/v1/payments/process',
      { order_id: `o-${seq}`, amount: 9.5, currency: 'EUR' },
      { 'idempotency-key': `soak-${run}-${seq}` },
      (d) => remember(recent.payments, d.payment_id),
    ],
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

const clientId = `soak-${process.pid}`;
const client = await mqtt.connectAsync(process.env.MQTT_URL, {
  protocolVersion: 5,
  clientId,
  clean: true,
});
client.stream.setNoDelay?.(true);
await client.subscribeAsync(`replies/${clientId}/#`, { qos: 1 });

const pending = new Map();
const totals = { sent: 0, ok: 0, errors: 0, timeouts: 0, histogram: newHistogram() };
let win = { sent: 0, ok: 0, errors: 0, timeouts: 0, histogram: newHistogram() };
const errorSamples = [];
let stopping = false;

client.on('message', (_t, payload, packet) => {
  const id = packet.properties?.correlationData?.toString();
  const entry = id && pending.get(id);
  if (!entry) return;
  pending.delete(id);
  clearTimeout(entry.timer);
  const micros = Math.max(1, Math.round((performance.now() - entry.started) * 1000));
  totals.histogram.recordValue(micros);
  win.histogram.recordValue(micros);
  const body = JSON.parse(payload.toString());
  if (body.status === 'success') {
    totals.ok++;
    win.ok++;
    entry.onSuccess?.(body.data ?? {});
  } else {
    totals.errors++;
    win.errors++;
    if (errorSamples.length < 5) {
      errorSamples.push({ topic: entry.topic, body });
      process.stderr.write(`error on ${entry.topic}: ${JSON.stringify(body)}\n`);
    }
  }
  if (mode === 'closed' && !stopping) send();
});

function send() {
  const [topic, body, headers, onSuccess] = nextRequest();
  const id = randomUUID();
  const timer = setTimeout(() => {
    pending.delete(id);
    totals.timeouts++;
    win.timeouts++;
    if (mode === 'closed' && !stopping) send();
  }, timeoutMs);
  pending.set(id, { started: performance.now(), timer, topic, onSuccess });
  totals.sent++;
  win.sent++;
  client.publish(topic, JSON.stringify(body), {
    qos: 1,
    properties: {
      responseTopic: `replies/${clientId}/r`,
      correlationData: Buffer.from(id),
      userProperties: { authorization: auth, ...headers },
    },
  });
}

const ms = (micros) => Math.round(micros) / 1000;
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
const deadline = Date.now() + timeoutMs;
while (pending.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
clearInterval(reporter);
for (const { timer } of pending.values()) clearTimeout(timer);
totals.timeouts += pending.size;
process.stdout.write(
  JSON.stringify({ summary: true, mode, rate, ...summary(totals, elapsed), errorSamples }) + '\n',
);
await client.endAsync(true);
process.exit(0);
