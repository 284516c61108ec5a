// Open-loop MQTT 5 load: sends at a fixed rate whatever comes back (as devices reconnecting
// after an outage do), each request with a client deadline, and prints one JSON line: what
// was served within the deadline, refused (by reason), failed, late or never answered, the
// latency of what was served, and the same per 250 ms of send time. It writes packets
// encoded once and patched per request, so that it takes little of the cores it shares.
//
// RATE_SCHEDULE  "rate:ms,rate:ms,…" (requests per second, for how long), or RATE + DURATION_MS
// DEADLINE_MS    the client's deadline (2000): sent as MQTT 5 message expiry and `deadline`
// TOKENS         JSON array of bearer tokens used in turn; "garbage" tokens are sent as is
// TOPIC, MQTT_URL, QOS (1)
import hdr from 'hdr-histogram-js';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';

const url = /** @type {string} */ (process.env.MQTT_URL);
const topic = /** @type {string} */ (process.env.TOPIC);
const deadlineMs = Number(process.env.DEADLINE_MS ?? 2000);
const qos = /** @type {0 | 1} */ (Number(process.env.QOS ?? 1));
/** @type {string[]} */
const tokens = JSON.parse(process.env.TOKENS ?? '[]');
const schedule = (
  process.env.RATE_SCHEDULE ?? `${process.env.RATE ?? 100}:${process.env.DURATION_MS ?? 10_000}`
)
  .split(',')
  .map((part) => part.split(':').map(Number))
  .map(([rate, ms]) => ({ rate, ms }));
const BUCKET_MS = 250;

const clientId = `open-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
const replyTo = `replies/${clientId}/r`;
const client = await mqtt.connectAsync(url, {
  protocolVersion: 5,
  clientId,
  clean: true,
  reconnectPeriod: 0,
  // Reads are taken off mqtt.js below, so it would never see a PINGRESP.
  keepalive: 0,
});
/** @type {{ setNoDelay?: (on: boolean) => void }} */ (
  /** @type {unknown} */ (client.stream)
).setNoDelay?.(true);
await client.subscribeAsync(`replies/${clientId}/#`, { qos: 0 });

const histogram = hdr.build({
  lowestDiscernibleValue: 1,
  highestTrackableValue: 60_000_000,
  numberOfSignificantValueDigits: 3,
});
/** @type {Map<number, number>} id → performance.now() at send */
const pending = new Map();
const counts = { sent: 0, served: 0, late: 0, no_answer: 0 };
/** @type {Record<string, number>} */
const refused = {};
/** @type {Record<string, number>} */
const errors = {};
/** @type {{ sent: number, served: number }[]} */
const buckets = [];
let started = 0;

const bucket = (/** @type {number} */ at) => {
  const i = Math.floor((at - started) / BUCKET_MS);
  while (buckets.length <= i) buckets.push({ sent: 0, served: 0 });
  return buckets[i];
};

// From here on the generator reads its socket itself: mqtt.js spends 15 to 25 µs on each
// packet, and a flood brings back a PUBACK per request, which would make the generator,
// not the gateway, take the cores they share. Frames are split here; only PUBLISH frames
// (the replies, QoS 0: nothing to acknowledge) are decoded, the broker's PUBACKs skipped.
const socket = /** @type {import('node:net').Socket} */ (/** @type {unknown} */ (client.stream));
socket.unpipe();
socket.resume(); // unpiping the last destination pauses it
const parser = mqttPacket.parser({ protocolVersion: 5 });
parser.on('error', (error) => {
  throw error;
});
parser.on('packet', (packet) => {
  if (packet.cmd === 'publish') answered(packet);
});
/** @type {Buffer} */
let unread = Buffer.alloc(0);
socket.on('data', (chunk) => {
  const data = unread.length > 0 ? Buffer.concat([unread, chunk]) : chunk;
  let at = 0;
  for (;;) {
    // Fixed header: type and flags, then the remaining length (1 to 4 bytes, 7 bits each).
    let length = 0;
    let i = at + 1;
    let complete = false;
    for (let shift = 0; i < data.length && !complete; shift += 7) {
      if (shift > 21) throw new Error('open-load: malformed remaining length');
      const byte = data[i++];
      length += (byte & 0x7f) * 2 ** shift;
      complete = byte < 0x80;
    }
    if (!complete || i + length > data.length) break;
    if (data[at] >> 4 === 3) parser.parse(data.subarray(at, i + length));
    at = i + length;
  }
  unread = data.subarray(at);
});

/** @param {import('mqtt-packet').IPublishPacket} packet */
function answered({ payload, properties }) {
  const id = Number(properties?.correlationData?.toString());
  const sentAt = pending.get(id);
  if (sentAt === undefined) return;
  pending.delete(id);
  const ms = performance.now() - sentAt;
  /** @type {{ status?: string, error?: { code: string, reason?: string } }} */
  const body = JSON.parse(payload.toString());
  if (body.status === 'success') {
    if (ms <= deadlineMs) {
      counts.served++;
      bucket(sentAt).served++;
      histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
    } else counts.late++;
  } else if (body.error?.code === 'SERVICE_UNAVAILABLE') {
    const reason = body.error.reason ?? 'other';
    refused[reason] = (refused[reason] ?? 0) + 1;
  } else {
    const code = body.error?.code ?? 'unknown';
    errors[code] = (errors[code] ?? 0) + 1;
  }
}

let next = 0;
const expiry = Math.max(1, Math.ceil(deadlineMs / 1000));
const ID_DIGITS = 10;
const DEADLINE_DIGITS = 13;

/**
 * The PUBLISH packets, encoded once per token with placeholders, then copied and patched
 * per request (packet id, correlation data, deadline): a generator that spends less of the
 * cores it shares with the broker and the gateway than mqtt.js's `publish` would.
 * @param {string | undefined} token
 */
function template(token) {
  /** @type {Record<string, string>} */
  const userProperties = { deadline: '@'.repeat(DEADLINE_DIGITS) };
  if (token !== undefined) userProperties.authorization = `Bearer ${token}`;
  const packet = mqttPacket.generate(
    {
      cmd: 'publish',
      topic,
      payload: '{}',
      qos,
      dup: false,
      retain: false,
      messageId: qos > 0 ? 0xfefe : undefined,
      properties: {
        responseTopic: replyTo,
        correlationData: Buffer.from('#'.repeat(ID_DIGITS)),
        messageExpiryInterval: expiry,
        userProperties,
      },
    },
    { protocolVersion: 5 },
  );
  const at = (/** @type {string | Buffer} */ marker) => {
    const i = packet.indexOf(marker);
    if (i < 0) throw new Error('open-load: a placeholder is missing from the packet');
    return i;
  };
  return {
    packet,
    messageId: qos > 0 ? at(Buffer.from([0xfe, 0xfe])) : -1,
    id: at('#'.repeat(ID_DIGITS)),
    deadline: at('@'.repeat(DEADLINE_DIGITS)),
  };
}
const templates = tokens.length > 0 ? tokens.map(template) : [template(undefined)];

function send() {
  const id = next++;
  const now = performance.now();
  const t = templates[id % templates.length];
  const packet = Buffer.from(t.packet);
  if (t.messageId >= 0) packet.writeUInt16BE((id % 65535) + 1, t.messageId);
  packet.write(String(id).padStart(ID_DIGITS, '0'), t.id, 'latin1');
  packet.write(String(Math.round(Date.now() + deadlineMs)), t.deadline, 'latin1');
  pending.set(id, now);
  counts.sent++;
  bucket(now).sent++;
  // The broker's PUBACKs name ids mqtt.js did not send: it ignores them. Written past
  // mqtt.js, these QoS 1 packets keep to no receive maximum: the broker's is not enforced
  // here, as it is not by a flood.
  socket.write(packet);
}

// Sends what the schedule owes every few milliseconds: the rate holds whatever the answers do.
started = performance.now();
for (const { rate, ms } of schedule) {
  const from = performance.now();
  let owed = 0;
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const elapsed = Math.min(performance.now() - from, ms);
      const due = Math.floor((elapsed / 1000) * rate) - owed;
      socket.cork();
      for (let i = 0; i < due; i++) send();
      socket.uncork();
      owed += due;
      if (elapsed >= ms) {
        clearInterval(timer);
        resolve(undefined);
      }
    }, 5);
  });
}
const sendingMs = performance.now() - started;

// Whatever is still due has until its deadline (and a little) to come back.
const waitUntil = performance.now() + deadlineMs + 500;
while (pending.size > 0 && performance.now() < waitUntil)
  await new Promise((r) => setTimeout(r, 20));
counts.no_answer = pending.size;
await client.endAsync(true);

const ms = (/** @type {number} */ micros) => Math.round(micros) / 1000;
const cpu = process.cpuUsage();
process.stdout.write(
  JSON.stringify({
    schedule,
    cpu_seconds: Math.round((cpu.user + cpu.system) / 1e4) / 100,
    deadline_ms: deadlineMs,
    ...counts,
    refused,
    errors,
    goodput_per_s: Math.round(counts.served / (sendingMs / 1000)),
    served_p50_ms: counts.served ? ms(histogram.getValueAtPercentile(50)) : null,
    served_p99_ms: counts.served ? ms(histogram.getValueAtPercentile(99)) : null,
    bucket_ms: BUCKET_MS,
    buckets,
  }) + '\n',
);
process.exit(0);
