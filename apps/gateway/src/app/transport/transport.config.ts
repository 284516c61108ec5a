import { hostname } from 'node:os';
import { custom, int, maybe, str, url, type EnvOf } from '@mqgw/config';
import { isDevicePrefix } from './device-namespace';
import { isReplyPattern } from './reply-topic.policy';

/** The MQTT side: the broker, the session, and the bounds on what a request may be. */
export const transportEnv = {
  MQTT_URL: maybe(
    url({
      protocols: ['mqtt:', 'mqtts:', 'ws:', 'wss:', 'tcp:'],
      doc: 'broker; unset = start an embedded one',
    }),
  ),
  MQTT_PORT: int({ default: 1883, min: 1, max: 65535, doc: 'port of the embedded broker' }),
  MQTT_CLIENT_ID: maybe(
    str({ pattern: /^[\w.:-]{1,64}$/, doc: 'stable id for a persistent session' }),
  ),
  MQTT_USERNAME: maybe(str()),
  MQTT_PASSWORD: maybe(str({ secret: true, doc: 'or MQTT_PASSWORD_FILE' })),
  MQTT_SESSION_EXPIRY_SECONDS: maybe(
    int({ min: 0, doc: '0 = clean session; unset = 3600, or 0 with a shared group' }),
  ),
  SHARED_SUBSCRIPTION_GROUP: maybe(
    str({ pattern: /^[\w-]{1,64}$/, doc: 'subscribe as $share/<group>/...' }),
  ),
  MAX_PAYLOAD_BYTES: int({ default: 256 * 1024, min: 1 }),
  MAX_INFLIGHT: int({
    default: 1024,
    min: 1,
    doc: 'requests admitted at once; with twice this many in hand, counting those not yet admitted, the next is not read until one is done',
  }),
  REPLY_TOPIC_PATTERN: custom(
    'topic filters separated by commas, {user} as a whole level at most once each (e.g. replies/{user}/#)',
    (raw) => {
      const patterns = raw.split(',').map((p) => p.trim());
      return patterns.every(isReplyPattern) ? patterns : undefined;
    },
    { default: ['replies/#'], doc: 'where replies may go; {user} binds a level to the caller' },
  ),
  MAX_REPLY_BYTES: int({
    default: 256 * 1024,
    min: 1024,
    doc: 'larger replies become an error reply; also caps what is stored',
  }),
  ANONYMOUS_REPLY_RATE: int({
    default: 10,
    min: 1,
    doc: 'answers per second one reply topic may get for callers not yet known (errors before or at authentication, anonymous routes), per instance',
  }),
  REFUSAL_REPLY_RATE: int({
    default: 10,
    min: 1,
    doc: 'refusals under load (overloaded, service at its limit, deadline) answered per second per caller (per reply space, replies/<id>, for callers not yet known), per instance; the rest are refused without an answer and counted',
  }),
  SHUTDOWN_GRACE_MS: int({ default: 10_000, min: 0 }),
  DEVICE_TOPIC_PREFIX: maybe(
    custom('one plain topic level, e.g. things', (raw) => (isDevicePrefix(raw) ? raw : undefined), {
      doc: 'serve every route under <prefix>/<broker username>/ too, as that username: only on a broker that enforces the namespace',
    }),
  ),
};

export interface TransportConfig {
  /** Unset: the gateway starts an embedded broker on `embeddedPort` and uses it. */
  url?: string;
  embeddedPort: number;
  clientId: string;
  username?: string;
  password?: string;
  /** 0 means a clean session; otherwise the broker keeps QoS 1/2 requests while we are away. */
  sessionExpirySeconds: number;
  /** `$share/<group>/` subscriptions, so N gateways split the load. */
  sharedGroup?: string;
  maxPayloadBytes: number;
  maxInflight: number;
  /** Where replies may go (`REPLY_TOPIC_PATTERN`); a `{user}` level binds it to the caller. */
  replyPatterns: readonly string[];
  maxReplyBytes: number;
  /** `ANONYMOUS_REPLY_RATE`: answers per second and reply topic for callers not yet known. */
  unidentifiedPerSecond: number;
  /** `REFUSAL_REPLY_RATE`: refusals under load answered per second and caller. */
  refusalsPerSecond: number;
  shutdownGraceMs: number;
  /** `DEVICE_TOPIC_PREFIX`: the device namespace, where the broker vouches for the caller. */
  devicePrefix?: string;
}

export const TRANSPORT_CONFIG = Symbol('TRANSPORT_CONFIG');

export function readTransportConfig(
  env: EnvOf<typeof transportEnv>,
  httpPort: number,
): TransportConfig {
  return {
    url: env.MQTT_URL,
    embeddedPort: env.MQTT_PORT,
    clientId: env.MQTT_CLIENT_ID ?? `mqgw-${hostname()}-${httpPort}`,
    username: env.MQTT_USERNAME,
    password: env.MQTT_PASSWORD,
    sessionExpirySeconds:
      env.MQTT_SESSION_EXPIRY_SECONDS ?? sessionExpiryDefault(env.SHARED_SUBSCRIPTION_GROUP),
    sharedGroup: env.SHARED_SUBSCRIPTION_GROUP,
    maxPayloadBytes: env.MAX_PAYLOAD_BYTES,
    maxInflight: env.MAX_INFLIGHT,
    replyPatterns: env.REPLY_TOPIC_PATTERN,
    maxReplyBytes: env.MAX_REPLY_BYTES,
    unidentifiedPerSecond: env.ANONYMOUS_REPLY_RATE,
    refusalsPerSecond: env.REFUSAL_REPLY_RATE,
    shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
    devicePrefix: env.DEVICE_TOPIC_PREFIX,
  };
}

/**
 * A persistent session keeps requests for a gateway that is away. Mosquitto goes on
 * routing a shared subscription's share to a member whose session is offline, so behind
 * `$share` a crashed instance would hold its share of new requests until it returns. With
 * a shared group the default is therefore a clean session: survivors take all new
 * requests at once, and only the dead instance's in-flight requests need a client retry.
 */
export function sessionExpiryDefault(sharedGroup: string | undefined): number {
  return sharedGroup ? 0 : 3600;
}
