import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { MqgwClosedError } from './closed.error';
import { MqgwError } from './mqgw.error';
import { randomToken } from './random-token';
import { isRetryableReply, isRetryableTimeout, retryDelayMs } from './retry.policy';
import type { AnyRoute, BodyArgs, RouteFor, RouteShape } from './routes.types';
import { MqgwTimeoutError } from './timeout.error';
import type { ErrorReply } from './wire.types';

export interface ClientOptions {
  /** Default a random one. A persistent session (`sessionExpirySeconds`) keeps it. */
  clientId?: string;
  /** The broker login. */
  username?: string;
  password?: string;
  /** `authorization: Bearer <token>` on every request; a function is asked each time. */
  token?: string | (() => string | Promise<string>);
  /** `x-api-key` on every request, instead of a token. */
  apiKey?: string;
  /** More user properties (headers) on every request. */
  headers?: Record<string, string>;
  /**
   * Asked for each request: the W3C `traceparent` of the span it belongs to (from the
   * app's OpenTelemetry context, say), sent as a user property; `undefined` sends none.
   */
  traceparent?: () => string | undefined;
  /**
   * Where replies are asked for: `<replyPrefix>/<random>`. Default `replies/<username>`, or
   * `replies/<clientId>` without a login: the reply space the broker gives a client.
   */
  replyPrefix?: string;
  /** Per attempt, default 10 000 ms. */
  timeoutMs?: number;
  /** Retries after the first attempt, where they are safe; default 2. */
  retries?: number;
  /** The longest `retry_after` the client waits out by itself; default 5000 ms. */
  maxRetryWaitMs?: number;
  /** Make an idempotency key for each request that may change something; default true. */
  idempotencyKeys?: boolean;
  /**
   * The routes and their methods (`ROUTES` of the generated types): requests to a `GET`
   * route are safe to repeat and get no key. Without it, every request gets one, which a
   * `GET` route ignores.
   */
  routes?: readonly { topic: string; method?: string }[];
  /**
   * How long the broker keeps this client's session, replies included, while it is away;
   * default 60 s, so a reply to a request in flight is delivered after a reconnect. 0 is a
   * clean session every time.
   */
  sessionExpirySeconds?: number;
  /** Between reconnection attempts, default 1000 ms; 0 never reconnects. */
  reconnectPeriodMs?: number;
  /** QoS of requests (and so of their replies), default 1. */
  qos?: 0 | 1 | 2;
  /**
   * The `origin` header; in a browser, default the page's origin (the gateway checks it
   * against ALLOWED_ORIGINS). `false` sends none.
   */
  origin?: string | false;
  /** Anything else for mqtt.js: TLS, WebSocket options, keepalive. */
  mqtt?: IClientOptions;
}

/** A reply as `send` gives it: the parsed body, or why there is none. */
export type SendOutcome =
  { body: Record<string, unknown> } | { error: 'timeout' | 'closed' | 'unparsable' };

interface Pending {
  done: (outcome: SendOutcome) => void;
  timer: ReturnType<typeof setTimeout>;
}

const SAFE_METHODS = new Set(['GET']);

/**
 * A client of the gateway's MQTT API (docs/mqtt-api.md), for Node and browsers (MQTT over
 * WebSocket: `ws://` or `wss://` URLs). Each request carries a response topic in the
 * client's own reply space and unguessable correlation data; a reply is matched by it.
 * With a persistent session (the default) the broker keeps replies while the client
 * reconnects, so a request in flight across a reconnect still gets its answer; one that
 * does not within its timeout is sent again where that is safe, with the same idempotency
 * key, so it runs once.
 *
 * `request` is the typed, retrying API; `send` is the bare request/reply under it, with a
 * callback and no promise, for load generators.
 */
export class MqgwClient<R extends RouteShape = AnyRoute> {
  /** Replies to this client arrive here, and only here. */
  readonly replyTopic: string;
  private readonly pending = new Map<string, Pending>();
  /** A random prefix plus a counter: unguessable, and cheaper than a UUID per request. */
  private readonly idPrefix = randomToken(12);
  private sequence = 0;
  private closed = false;
  private readonly safeRoutes: readonly { levels: string[] }[];

  private constructor(
    readonly mqtt: MqttClient,
    readonly clientId: string,
    private readonly options: ClientOptions,
  ) {
    const prefix =
      options.replyPrefix ?? `replies/${options.username ? options.username : clientId}`;
    this.replyTopic = `${prefix}/${randomToken(8)}`;
    this.safeRoutes = (options.routes ?? [])
      .filter((r) => r.method !== undefined && SAFE_METHODS.has(r.method))
      .map((r) => ({ levels: r.topic.split('/') }));
    mqtt.on('message', (_topic, payload, packet) => this.onMessage(payload, packet));
    mqtt.on('close', () => {
      // Without reconnection nothing will come: fail what waits now rather than at its timeout.
      if (!this.closed && this.reconnects) return;
      for (const [id, entry] of this.pending) this.settle(id, entry, { error: 'closed' });
    });
  }

  /** Connects, and subscribes to the client's reply topic; rejects if either fails. */
  static async connect<R extends RouteShape = AnyRoute>(
    url: string,
    options: ClientOptions = {},
  ): Promise<MqgwClient<R>> {
    const clientId = options.clientId ?? `mqgw-${randomToken(6)}`;
    const expiry = options.sessionExpirySeconds ?? 60;
    const client = await mqtt.connectAsync(
      url,
      {
        protocolVersion: 5,
        connectTimeout: 5000,
        reconnectPeriod: options.reconnectPeriodMs ?? 1000,
        clean: expiry === 0,
        ...(expiry > 0 ? { properties: { sessionExpiryInterval: expiry } } : {}),
        ...(options.username !== undefined ? { username: options.username } : {}),
        ...(options.password !== undefined ? { password: options.password } : {}),
        ...options.mqtt,
        clientId,
      },
      // The first connection either works or fails: no silent retrying before it has.
      false,
    );
    noDelay(client);
    const instance = new MqgwClient<R>(client, clientId, options);
    try {
      const [grant] = await client.subscribeAsync(instance.replyTopic, { qos: 1 });
      if (grant && grant.qos >= 128) throw new Error(`refused (reason ${grant.qos})`);
    } catch (error) {
      await client.endAsync(true);
      throw new Error(
        `may not read replies on ${instance.replyTopic}: ${(error as Error).message}`,
      );
    }
    return instance;
  }

  private get reconnects(): boolean {
    return (this.options.reconnectPeriodMs ?? 1000) > 0;
  }

  /** Requests in flight. */
  get inFlight(): number {
    return this.pending.size;
  }

  /**
   * Sends a request and resolves with its reply, or rejects with an `MqgwError` (the
   * gateway's error reply: code, status, `retryAfter`), an `MqgwTimeoutError` or an
   * `MqgwClosedError`. Retries only what is safe to send again: see `retry.policy.ts`.
   */
  async request<T extends R['topic']>(
    topic: T,
    ...[body, options = {}]: BodyArgs<RouteFor<R, T>['request']>
  ): Promise<RouteFor<R, T>['reply']> {
    const safe = this.isSafe(topic);
    const key = this.idempotencyKeyFor(safe, options.idempotencyKey);
    const context = { safe, keyed: key !== undefined };
    const payload = JSON.stringify(body ?? {});
    const retries = options.retries ?? this.options.retries ?? 2;
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs ?? 10_000;
    for (let attempt = 0; ; attempt++) {
      const traceparent = options.traceparent ?? this.options.traceparent?.();
      const headers = await this.headersFor(
        traceparent ? { ...options.headers, traceparent } : options.headers,
        key,
      );
      const outcome = await new Promise<SendOutcome>((resolve) => {
        this.send(topic, payload, headers, resolve, timeoutMs, options.qos);
      });
      if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
      let wait: number;
      if ('body' in outcome) {
        if (outcome.body['status'] !== 'error') return outcome.body as RouteFor<R, T>['reply'];
        const reply = outcome.body as unknown as ErrorReply;
        const error = new MqgwError(topic, reply);
        if (attempt >= retries || !isRetryableReply(reply, context)) throw error;
        wait = retryDelayMs(attempt + 1, reply.error.retry_after);
        if (wait > (this.options.maxRetryWaitMs ?? 5000)) throw error;
      } else if (outcome.error === 'timeout') {
        if (attempt >= retries || !isRetryableTimeout(context)) {
          throw new MqgwTimeoutError(topic, attempt + 1, key);
        }
        wait = retryDelayMs(attempt + 1, undefined);
      } else if (outcome.error === 'closed') {
        throw new MqgwClosedError(topic, 'the client closed before the reply came');
      } else {
        throw new Error(`${topic}: the reply is not JSON`);
      }
      await delay(wait, options.signal);
    }
  }

  /**
   * Publishes one request and calls `done` exactly once: with the reply's parsed body, or
   * with why there is none (`timeout` after `timeoutMs`, `closed`). No retries, no
   * promise: the hot path of a load generator. `payload` is the JSON text of the body.
   */
  send(
    topic: string,
    payload: string,
    headers: Record<string, string> | undefined,
    done: (outcome: SendOutcome) => void,
    timeoutMs = this.options.timeoutMs ?? 10_000,
    qos: 0 | 1 | 2 = this.options.qos ?? 1,
  ): void {
    if (this.closed) {
      done({ error: 'closed' });
      return;
    }
    const id = this.idPrefix + (++this.sequence).toString(36);
    const timer = setTimeout(() => {
      const entry = this.pending.get(id);
      if (entry) this.settle(id, entry, { error: 'timeout' });
    }, timeoutMs);
    this.pending.set(id, { done, timer });
    this.mqtt.publish(topic, payload, {
      qos,
      properties: {
        responseTopic: this.replyTopic,
        // A string is sent as its bytes: no Buffer needed, in a browser either.
        correlationData: id as unknown as Buffer,
        // mqtt.js never sends a PUBLISH whose userProperties is an empty object.
        ...(headers ? { userProperties: headers } : {}),
      },
    });
  }

  /** Stops: requests still waiting fail with `MqgwClosedError`. */
  async close(): Promise<void> {
    this.closed = true;
    for (const [id, entry] of this.pending) this.settle(id, entry, { error: 'closed' });
    await this.mqtt.endAsync(true);
  }

  private onMessage(payload: Buffer, packet: IPublishPacket): void {
    const correlation = packet.properties?.correlationData;
    if (!correlation) return;
    const id = correlation.toString();
    const entry = this.pending.get(id);
    if (!entry) return;
    let body: unknown;
    try {
      body = JSON.parse(payload.toString());
    } catch {
      this.settle(id, entry, { error: 'unparsable' });
      return;
    }
    this.settle(
      id,
      entry,
      typeof body === 'object' && body !== null
        ? { body: body as Record<string, unknown> }
        : { error: 'unparsable' },
    );
  }

  private settle(id: string, entry: Pending, outcome: SendOutcome): void {
    this.pending.delete(id);
    clearTimeout(entry.timer);
    entry.done(outcome);
  }

  private async headersFor(
    extra: Record<string, string> | undefined,
    idempotencyKey: string | undefined,
  ): Promise<Record<string, string> | undefined> {
    const { token, apiKey, headers } = this.options;
    const out: Record<string, string> = { ...headers, ...extra };
    const bearer = typeof token === 'function' ? await token() : token;
    if (bearer) out['authorization'] = `Bearer ${bearer}`;
    if (apiKey) out['x-api-key'] = apiKey;
    const origin = this.options.origin ?? pageOrigin();
    if (origin) out['origin'] = origin;
    if (idempotencyKey) out['idempotency-key'] = idempotencyKey;
    return Object.keys(out).length > 0 ? out : undefined;
  }

  /** The caller's key, else a new one where a repeat could change something twice. */
  private idempotencyKeyFor(safe: boolean, given: string | false | undefined): string | undefined {
    if (given !== undefined) return given === false ? undefined : given;
    return safe || this.options.idempotencyKeys === false ? undefined : randomToken(16);
  }

  /** Whether the route of `topic` is known to change nothing. */
  private isSafe(topic: string): boolean {
    if (this.safeRoutes.length === 0) return false;
    const levels = topic.split('/');
    return this.safeRoutes.some(
      (route) =>
        route.levels.length === levels.length &&
        route.levels.every((level, i) => level.startsWith('{') || level === levels[i]),
    );
  }
}

/** `MqgwClient.connect`, for those who prefer a function. */
export function connect<R extends RouteShape = AnyRoute>(
  url: string,
  options: ClientOptions = {},
): Promise<MqgwClient<R>> {
  return MqgwClient.connect<R>(url, options);
}

/** The page's origin in a browser; nothing elsewhere. */
function pageOrigin(): string | undefined {
  const location = (globalThis as { location?: { origin?: string } }).location;
  return typeof location?.origin === 'string' && location.origin !== 'null'
    ? location.origin
    : undefined;
}

/**
 * Nagle's algorithm adds tens of milliseconds to every small request on TCP: off, on every
 * connection. (A WebSocket in a browser has no such switch, and needs none.)
 */
function noDelay(client: MqttClient): void {
  const apply = () => {
    (client.stream as unknown as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  };
  apply();
  client.on('connect', apply);
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (ms <= 0) return resolve();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason ?? new Error('aborted'));
      },
      { once: true },
    );
  });
}
