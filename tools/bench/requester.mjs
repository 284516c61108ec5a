// The MQTT 5 request/reply core both load generators share: @mqgw/client's `send`, the
// same code a client application runs (one connection with TCP_NODELAY, replies matched by
// correlation data, a timeout per request), without its retries or idempotency keys, so
// every request is sent exactly once and measured as sent.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import hdr from 'hdr-histogram-js';

// The library from its source, as the CLI runs: no build step before a benchmark. Node does
// not read the `@mqgw/client` path alias (the TypeScript compiler's), so the path is spelled.
const require = createRequire(import.meta.url);
process.env.SWC_NODE_PROJECT ??= join(import.meta.dirname, '../../tsconfig.base.json');
require('@swc-node/register');
/** @type {typeof import('@mqgw/client')} */
const { MqgwClient } = require(join(import.meta.dirname, '../../libs/client/src/index.ts'));

/**
 * @typedef {{ status: string, data?: Record<string, unknown> }} ReplyBody
 * @typedef {{ timeout: true } | { timeout?: undefined, micros: number, body: ReplyBody }} Reply
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
  const client = await MqgwClient.connect(url, {
    clientId,
    timeoutMs,
    // A clean session, as before: a load generator has nothing to resume.
    sessionExpirySeconds: 0,
    idempotencyKeys: false,
    retries: 0,
  });
  return {
    /**
     * @param {string} topic
     * @param {string} payload
     * @param {Record<string, string> | undefined} userProperties
     * @param {(reply: Reply) => void} done
     */
    send(topic, payload, userProperties, done) {
      const started = performance.now();
      client.send(topic, payload, userProperties, (outcome) => {
        if (!('body' in outcome)) {
          // A reply that is not JSON counts as an error, not as a lost request.
          if (outcome.error === 'unparsable') {
            done({ micros: elapsedMicros(started), body: { status: 'unparsable' } });
          } else done({ timeout: true });
          return;
        }
        done({ micros: elapsedMicros(started), body: /** @type {ReplyBody} */ (outcome.body) });
      });
    },
    /**
     * Waits for the replies still due. Every request settles by its own timeout, each then
     * counted by its `done`, so this returns how many settled no other way: none.
     */
    async drain() {
      const deadline = Date.now() + 2 * timeoutMs;
      while (client.inFlight > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      return 0;
    },
    close: () => client.close(),
  };
}

/** @param {number} started */
function elapsedMicros(started) {
  return Math.max(1, Math.round((performance.now() - started) * 1000));
}
