// The MQTT 5 request/reply core both load generators share: one connection with
// TCP_NODELAY, replies matched by correlation data, a timeout per request.
import { randomUUID } from 'node:crypto';
import hdr from 'hdr-histogram-js';
import mqtt from 'mqtt';

/**
 * @typedef {{ status: string, data?: Record<string, unknown> }} ReplyBody
 * @typedef {{ timeout: true } | { timeout?: undefined, micros: number, body: ReplyBody }} Reply
 * @typedef {{ started: number, timer: NodeJS.Timeout, done: (reply: Reply) => void }} Pending
 */

export const newHistogram = () =>
  hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });

/**
 * Microseconds to milliseconds, three decimals.
 * @param {number} micros
 */
export const ms = (micros) => Math.round(micros) / 1000;

/**
 * Connects as `clientId` and subscribes to its replies. `send` calls `done` exactly once:
 * with `{ micros, body }` when the reply comes, or `{ timeout: true }` after `timeoutMs`.
 * @param {string} url
 * @param {string} clientId
 * @param {number} timeoutMs
 */
export async function connectRequester(url, clientId, timeoutMs) {
  const replyTo = `replies/${clientId}`;
  /** @type {Map<string, Pending>} */
  const pending = new Map();
  const client = await mqtt.connectAsync(url, { protocolVersion: 5, clientId, clean: true });
  /** @type {{ setNoDelay?: (on: boolean) => void }} */ (
    /** @type {unknown} */ (client.stream)
  ).setNoDelay?.(true);
  client.on('message', (_topic, payload, packet) => {
    const id = packet.properties?.correlationData?.toString();
    const entry = id && pending.get(id);
    if (!entry) return;
    pending.delete(id);
    clearTimeout(entry.timer);
    const micros = Math.max(1, Math.round((performance.now() - entry.started) * 1000));
    entry.done({ micros, body: JSON.parse(payload.toString()) });
  });
  await client.subscribeAsync(`${replyTo}/#`, { qos: 1 });

  return {
    /**
     * @param {string} topic
     * @param {string} payload
     * @param {Record<string, string> | undefined} userProperties
     * @param {(reply: Reply) => void} done
     */
    send(topic, payload, userProperties, done) {
      const id = randomUUID();
      const timer = setTimeout(() => {
        pending.delete(id);
        done({ timeout: true });
      }, timeoutMs);
      pending.set(id, { started: performance.now(), timer, done });
      client.publish(topic, payload, {
        qos: 1,
        properties: {
          responseTopic: `${replyTo}/r`,
          correlationData: Buffer.from(id),
          // mqtt.js never sends a PUBLISH whose userProperties is an empty object.
          ...(userProperties ? { userProperties } : {}),
        },
      });
    },
    /** Waits up to `timeoutMs` for the replies still due; returns how many never came. */
    async drain() {
      const deadline = Date.now() + timeoutMs;
      while (pending.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const left = pending.size;
      for (const { timer } of pending.values()) clearTimeout(timer);
      pending.clear();
      return left;
    },
    close: () => client.endAsync(true),
  };
}
