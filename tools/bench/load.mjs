// Closed-loop MQTT 5 load: keeps INFLIGHT requests outstanding for DURATION_MS, QoS 1,
// and prints one JSON line with throughput and latency from an HDR histogram.
import { connectRequester, ms, newHistogram } from './requester.mjs';

const inflight = Number(process.env.INFLIGHT ?? 64);
const durationMs = Number(process.env.DURATION_MS ?? 10_000);
const timeoutMs = Number(process.env.TIMEOUT_MS ?? 5_000);
const topic = /** @type {string} */ (process.env.TOPIC);
const headers = process.env.TOKEN ? { authorization: `Bearer ${process.env.TOKEN}` } : undefined;
const histogram = newHistogram();
let ok = 0;
let errors = 0;
let timeouts = 0;
let stopping = false;

const requester = await connectRequester(
  /** @type {string} */ (process.env.MQTT_URL),
  `load-${process.pid}`,
  timeoutMs,
);

function send() {
  requester.send(topic, '{}', headers, (result) => {
    if (result.timeout) timeouts++;
    else {
      histogram.recordValue(result.micros);
      if (result.body.status === 'success') ok++;
      else errors++;
    }
    if (!stopping) send();
  });
}

const started = performance.now();
for (let i = 0; i < inflight; i++) send();
await new Promise((r) => setTimeout(r, durationMs));
stopping = true;
const elapsed = (performance.now() - started) / 1000;
timeouts += await requester.drain();
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
await requester.close();
process.exit(0);
