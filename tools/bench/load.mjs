// Closed-loop MQTT 5 load: keeps INFLIGHT requests outstanding for DURATION_MS, QoS 1,
// and prints one JSON line with throughput and latency from an HDR histogram.
import { randomUUID } from 'node:crypto';
import hdr from 'hdr-histogram-js';
import mqtt from 'mqtt';

const inflight = Number(process.env.INFLIGHT ?? 64);
const durationMs = Number(process.env.DURATION_MS ?? 10_000);
const timeoutMs = Number(process.env.TIMEOUT_MS ?? 5_000);
const topic = process.env.TOPIC;
const headers = process.env.TOKEN ? { authorization: `Bearer ${process.env.TOKEN}` } : undefined;
const histogram = hdr.build({
  lowestDiscernibleValue: 1,
  highestTrackableValue: 60_000_000,
  numberOfSignificantValueDigits: 3,
});
const clientId = `load-${process.pid}`;
const replyTo = `replies/${clientId}`;
const pending = new Map();
let ok = 0;
let errors = 0;
let timeouts = 0;
let stopping = false;

const client = await mqtt.connectAsync(process.env.MQTT_URL, {
  protocolVersion: 5,
  clientId,
  clean: true,
});
client.stream.setNoDelay?.(true);
client.on('message', (_t, payload, packet) => {
  const id = packet.properties?.correlationData?.toString();
  const entry = id && pending.get(id);
  if (!entry) return;
  pending.delete(id);
  clearTimeout(entry.timer);
  const micros = Math.max(1, Math.round((performance.now() - entry.started) * 1000));
  histogram.recordValue(micros);
  const body = JSON.parse(payload.toString());
  if (body.status === 'success') ok++;
  else errors++;
  if (!stopping) send();
});
await client.subscribeAsync(`${replyTo}/#`, { qos: 1 });

function send() {
  const id = randomUUID();
  const timer = setTimeout(() => {
    pending.delete(id);
    timeouts++;
    if (!stopping) send();
  }, timeoutMs);
  pending.set(id, { started: performance.now(), timer });
  client.publish(topic, '{}', {
    qos: 1,
    properties: {
      responseTopic: `${replyTo}/r`,
      correlationData: Buffer.from(id),
      ...(headers ? { userProperties: headers } : {}),
    },
  });
}

const started = performance.now();
for (let i = 0; i < inflight; i++) send();
await new Promise((r) => setTimeout(r, durationMs));
stopping = true;
const elapsed = (performance.now() - started) / 1000;
const deadline = Date.now() + timeoutMs;
while (pending.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
timeouts += pending.size;
for (const { timer } of pending.values()) clearTimeout(timer);
const ms = (micros) => Math.round(micros) / 1000;
process.stdout.write(
  JSON.stringify({
    inflight,
    requests: ok + errors,
    ok,
    errors,
    timeouts,
    throughput: Math.round((ok + errors) / elapsed),
    p50_ms: ms(histogram.getValueAtPercentile(50)),
    p99_ms: ms(histogram.getValueAtPercentile(99)),
    max_ms: ms(histogram.maxValue),
  }) + '\n',
);
await client.endAsync(true);
process.exit(0);
