import { randomUUID } from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { setNoDelay } from './mqtt-requester';

export interface DeviceRequesterOptions extends IClientOptions {
  /** The gateway's `DEVICE_TOPIC_PREFIX`. */
  prefix: string;
  /** The broker login; the device's name in the namespace. */
  username: string;
}

export interface DeviceReply<T = Record<string, unknown>> {
  topic: string;
  id: string;
  /** The gateway's reply envelope. */
  response: T;
}

/**
 * A device of the gateway's device namespace, as an MQTT 3.1.1 client sees it (no user
 * properties, no response topic): it publishes `{"id", "data"}` to
 * `<prefix>/<username>/<topic>` and reads `{"id", "response"}` on
 * `<prefix>/<username>/replies/<topic>`. No token: the broker's login is the identity.
 */
export class DeviceRequester {
  private readonly pending = new Map<string, (reply: DeviceReply | Error) => void>();

  private constructor(
    readonly client: MqttClient,
    readonly space: string,
  ) {
    client.on('message', (topic, payload) => {
      let body: { id?: unknown; response?: unknown };
      try {
        body = JSON.parse(payload.toString('utf8'));
      } catch {
        return;
      }
      const settle = typeof body.id === 'string' ? this.pending.get(body.id) : undefined;
      if (settle) {
        this.pending.delete(body.id as string);
        settle({
          topic,
          id: body.id as string,
          response: body.response as Record<string, unknown>,
        });
      }
    });
    client.on('close', () => {
      for (const [id, settle] of this.pending) {
        this.pending.delete(id);
        settle(new Error('connection closed by the broker'));
      }
    });
  }

  static async connect(url: string, options: DeviceRequesterOptions): Promise<DeviceRequester> {
    const { prefix, ...mqttOptions } = options;
    const client = await mqtt.connectAsync(
      url,
      {
        protocolVersion: 4,
        reconnectPeriod: 0,
        connectTimeout: 5000,
        clientId: `${options.username}-${randomUUID().slice(0, 8)}`,
        ...mqttOptions,
      },
      // Reject when the connection closes before CONNACK, which is not always an error.
      false,
    );
    setNoDelay(client);
    const requester = new DeviceRequester(client, `${prefix}/${options.username}`);
    try {
      // mqtt.js rejects a refused subscription on 3.1.1 and 5 alike.
      await client.subscribeAsync(`${requester.space}/replies/#`, { qos: 1 });
    } catch (error) {
      await client.endAsync(true);
      throw new Error(
        `may not read replies on ${requester.space}/replies/#: ${(error as Error).message}`,
      );
    }
    return requester;
  }

  /** Sends `data` to `topic` (a route, e.g. `api/v1/users/list`) and waits for its reply. */
  request<T = Record<string, unknown>>(
    topic: string,
    data: unknown = {},
    options: { qos?: 0 | 1 | 2; timeoutMs?: number; id?: string } = {},
  ): Promise<DeviceReply<T>> {
    const id = options.id ?? randomUUID();
    const timeoutMs = options.timeoutMs ?? 10_000;
    return new Promise<DeviceReply<T>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no reply on ${this.space}/replies/${topic} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, (reply) => {
        clearTimeout(timer);
        if (reply instanceof Error) reject(reply);
        else resolve(reply as DeviceReply<T>);
      });
      this.client
        .publishAsync(`${this.space}/${topic}`, JSON.stringify({ id, data }), {
          qos: options.qos ?? 1,
        })
        .catch((error) => {
          clearTimeout(timer);
          this.pending.delete(id);
          reject(error);
        });
    });
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
