import { randomUUID } from 'node:crypto';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';

export interface RequestOptions {
  /** MQTT 5 user properties, the request's headers. */
  headers?: Record<string, string | string[]>;
  qos?: 0 | 1 | 2;
  timeoutMs?: number;
  /** Overrides the reply topic; `null` sends no responseTopic (fire and forget). */
  responseTopic?: string | null;
  /** Raw payload instead of JSON-encoding `body`. */
  raw?: Buffer | string;
}

export interface ReceivedReply<T = Record<string, unknown>> {
  topic: string;
  body: T;
  packet: IPublishPacket;
}

export interface RequesterOptions extends IClientOptions {
  /**
   * Where replies are asked for: `<replyPrefix>/<correlation>`. Defaults to
   * `replies/<username>` when logged in (the reply space the broker policy gives a client),
   * else `replies/<client id>`.
   */
  replyPrefix?: string;
  /** Keep every reply received, matched or not (tests count duplicates with it). */
  keepReplies?: boolean;
}

/**
 * An MQTT 5 client that speaks the gateway's wire contract: requests carry a reply topic of
 * the client's own and correlation data, and replies are matched by it. TCP_NODELAY is set:
 * Nagle's algorithm adds tens of milliseconds to every small request otherwise.
 */
export class MqttRequester {
  readonly replyPrefix: string;
  private readonly pending = new Map<string, (reply: ReceivedReply | Error) => void>();
  /** Every reply received, when `keepReplies` is set. */
  readonly received: ReceivedReply[] = [];

  private constructor(
    readonly client: MqttClient,
    readonly clientId: string,
    options: RequesterOptions,
  ) {
    this.replyPrefix =
      options.replyPrefix ?? `replies/${options.username ? options.username : clientId}`;
    client.on('message', (topic, payload, packet) => {
      const reply: ReceivedReply = { topic, body: parse(payload), packet };
      if (options.keepReplies) this.received.push(reply);
      const correlation = packet.properties?.correlationData?.toString();
      const resolve = correlation ? this.pending.get(correlation) : undefined;
      if (correlation && resolve) {
        this.pending.delete(correlation);
        resolve(reply);
      }
    });
    // A broker that drops the connection fails every waiting request at once.
    client.on('close', () => {
      for (const [correlation, settle] of this.pending) {
        this.pending.delete(correlation);
        settle(new Error('connection closed by the broker'));
      }
    });
  }

  static async connect(url: string, options: RequesterOptions = {}): Promise<MqttRequester> {
    const clientId = options.clientId ?? `mqgw-${randomUUID().slice(0, 12)}`;
    const { replyPrefix: _r, keepReplies: _k, ...mqttOptions } = options;
    const client = await mqtt.connectAsync(
      url,
      {
        protocolVersion: 5,
        reconnectPeriod: 0,
        connectTimeout: 5000,
        ...mqttOptions,
        clientId,
      },
      // Reject when the connection closes before CONNACK, which is not always an error.
      false,
    );
    setNoDelay(client);
    const requester = new MqttRequester(client, clientId, options);
    try {
      await client.subscribeAsync(`${requester.replyPrefix}/#`, { qos: 1 });
    } catch (error) {
      await client.endAsync(true);
      throw new Error(
        `may not read replies on ${requester.replyPrefix}/#: ${(error as Error).message}`,
      );
    }
    return requester;
  }

  /** Publishes a request and resolves with the reply that carries its correlation data. */
  request<T = Record<string, unknown>>(
    topic: string,
    body: unknown = {},
    options: RequestOptions = {},
  ): Promise<ReceivedReply<T>> {
    const correlation = randomUUID();
    const timeoutMs = options.timeoutMs ?? 10_000;
    return new Promise<ReceivedReply<T>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlation);
        reject(new Error(`no reply on ${topic} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(correlation, (reply) => {
        clearTimeout(timer);
        if (reply instanceof Error) reject(reply);
        else resolve(reply as ReceivedReply<T>);
      });
      this.publish(topic, body, options, correlation).catch((error) => {
        clearTimeout(timer);
        this.pending.delete(correlation);
        reject(error);
      });
    });
  }

  /** Publishes without waiting for anything; returns the correlation id used. */
  async publish(
    topic: string,
    body: unknown,
    options: RequestOptions = {},
    correlation = randomUUID(),
  ): Promise<string> {
    const payload = options.raw ?? JSON.stringify(body);
    const responseTopic =
      options.responseTopic === undefined
        ? `${this.replyPrefix}/${correlation}`
        : (options.responseTopic ?? undefined);
    await this.client.publishAsync(topic, payload, {
      qos: options.qos ?? 1,
      properties: {
        ...(responseTopic ? { responseTopic } : {}),
        correlationData: Buffer.from(correlation),
        // mqtt.js 5 never sends a PUBLISH whose userProperties is an empty object.
        ...(options.headers && Object.keys(options.headers).length > 0
          ? { userProperties: options.headers }
          : {}),
      },
    });
    return correlation;
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

/** Sets TCP_NODELAY on the client's socket now and after every reconnect. */
export function setNoDelay(client: MqttClient): void {
  const apply = () => {
    const stream = client.stream as unknown as { setNoDelay?: (on: boolean) => void };
    stream.setNoDelay?.(true);
  };
  apply();
  client.on('connect', apply);
}

function parse(payload: Buffer): Record<string, unknown> {
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch {
    return { raw: payload.toString('utf8') };
  }
}
