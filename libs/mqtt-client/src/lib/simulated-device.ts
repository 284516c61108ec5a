import { randomUUID } from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import {
  COMMAND_NAME,
  ERROR_PROPERTY,
  PROTOCOL_PROPERTY,
  commandTopics,
  encodeLegacyAnswer,
  parseDeviceTopic,
  type CommandOutcome,
} from '@mqgw/contracts';
import { setNoDelay } from './mqtt-requester';

/** What a simulated device does with one command. */
export type CommandHandler = (name: string, data: unknown) => Promise<CommandOutcome>;

export interface SimulatedDeviceOptions extends IClientOptions {
  /** The gateway's device prefix (`DEVICE_TOPIC_PREFIX`, `things` in the embedded mode). */
  prefix: string;
  /** The broker login, which is the device's name. */
  username: string;
  /** 5 (MQTT 5) or 4 (MQTT 3.1.1). */
  protocolVersion?: 4 | 5;
  /** Answers each command; the default is `answerAfterDelay`. */
  handler?: CommandHandler;
  /** Publish no status: the gateway must then treat the device as offline. */
  silentPresence?: boolean;
}

export interface ReceivedCommand {
  topic: string;
  name: string;
  /** The 3.1.1 `id`, or the MQTT 5 correlation data as text. */
  id: string;
  data: unknown;
}

/** The longest `delay_s` the default handler honours. */
const MAX_DELAY_S = 60;

/**
 * The default answer, for demos and tests: waits `delay_s` seconds (at most 60) when the
 * body asks for it, then answers `{device, command, received}`; a body with `fail: "<code>"`
 * is answered with that error instead.
 */
export function answerAfterDelay(device: string): CommandHandler {
  return async (name, data) => {
    const body = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
    const delay = Number(body['delay_s'] ?? 0);
    if (Number.isFinite(delay) && delay > 0) {
      await new Promise((r) => setTimeout(r, Math.min(delay, MAX_DELAY_S) * 1000));
    }
    if (typeof body['fail'] === 'string') {
      return { ok: false, error: { code: body['fail'], message: `${name} failed on ${device}` } };
    }
    return { ok: true, data: { device, command: name, received: data } };
  };
}

/**
 * A device that answers commands from the gateway, over MQTT 5 or 3.1.1, following the
 * contract in docs/mqtt-api.md: it publishes a retained `online` on `<prefix>/<name>/status`
 * with a last will of a retained `offline`, reads `<prefix>/<name>/commands/+`, and answers
 * on the command's `responseTopic` (MQTT 5) or `<prefix>/<name>/command-replies/<command>`
 * (3.1.1, `{"id", "data"}`).
 */
export class SimulatedDevice {
  /** Every command received, in order. */
  readonly received: ReceivedCommand[] = [];
  private readonly listeners: ((command: ReceivedCommand) => void)[] = [];

  private constructor(
    readonly client: MqttClient,
    readonly prefix: string,
    readonly name: string,
    readonly protocolVersion: 4 | 5,
    private readonly handler: CommandHandler,
  ) {
    client.on('message', (topic, payload, packet) => {
      void this.onCommand(topic, payload, packet.properties ?? {});
    });
  }

  static async connect(url: string, options: SimulatedDeviceOptions): Promise<SimulatedDevice> {
    const { prefix, handler, silentPresence, ...mqttOptions } = options;
    const protocolVersion = options.protocolVersion ?? 5;
    if (!COMMAND_NAME.test(options.username)) {
      throw new Error(`${options.username} is not a device name (1 to 64 of A-Z a-z 0-9 _ . -)`);
    }
    const status = commandTopics.status(prefix, options.username);
    const presence = protocolVersion === 5 ? { userProperties: { [PROTOCOL_PROPERTY]: '5' } } : {};
    const client = mqtt.connect(url, {
      reconnectPeriod: 0,
      connectTimeout: 5000,
      clientId: `${options.username}-${randomUUID().slice(0, 8)}`,
      ...mqttOptions,
      protocolVersion,
      will: silentPresence
        ? undefined
        : {
            topic: status,
            payload: Buffer.from('offline'),
            qos: 1,
            retain: true,
            ...(protocolVersion === 5 ? { properties: presence } : {}),
          },
    });
    // Listening before the session is up: a persistent session's queued commands arrive
    // right behind the CONNACK, before anything awaiting the connection would run.
    const device = new SimulatedDevice(
      client,
      prefix,
      options.username,
      protocolVersion,
      handler ?? answerAfterDelay(options.username),
    );
    await connected(client);
    setNoDelay(client);
    try {
      await client.subscribeAsync(commandTopics.deviceFilter(prefix, options.username), { qos: 1 });
      if (!silentPresence) {
        await client.publishAsync(status, 'online', {
          qos: 1,
          retain: true,
          ...(protocolVersion === 5 ? { properties: presence } : {}),
        });
      }
    } catch (error) {
      await client.endAsync(true);
      throw error;
    }
    return device;
  }

  /** Resolves with the next command received. */
  nextCommand(): Promise<ReceivedCommand> {
    return new Promise((resolve) => this.listeners.push(resolve));
  }

  private async onCommand(
    topic: string,
    payload: Buffer,
    properties: { responseTopic?: string; correlationData?: Buffer },
  ): Promise<void> {
    const parsed = parseDeviceTopic(this.prefix, topic);
    if (!parsed || parsed.kind !== 'commands' || parsed.device !== this.name) return;
    let body: unknown;
    try {
      body = payload.length === 0 ? null : JSON.parse(payload.toString('utf8'));
    } catch {
      return;
    }
    const legacy = this.protocolVersion === 4 || properties.responseTopic === undefined;
    const record = body as { id?: unknown; data?: unknown } | null;
    const id = legacy
      ? typeof record?.id === 'string'
        ? record.id
        : undefined
      : properties.correlationData?.toString('utf8');
    if (id === undefined) return;
    const command = { topic, name: parsed.name, id, data: legacy ? record?.data : body };
    this.received.push(command);
    for (const listener of this.listeners.splice(0)) listener(command);

    const outcome = await this.handler(parsed.name, command.data).catch(
      (error: Error): CommandOutcome => ({
        ok: false,
        error: { code: 'DEVICE_FAILURE', message: error.message },
      }),
    );
    await (legacy
      ? this.answerLegacy(parsed.name, id, outcome)
      : this.answer(properties as Required<typeof properties>, outcome));
  }

  /** MQTT 3.1.1: the answer goes to the command's reply topic, the id in the body. */
  private async answerLegacy(name: string, id: string, outcome: CommandOutcome): Promise<void> {
    await this.client
      .publishAsync(
        commandTopics.reply(this.prefix, this.name, name),
        encodeLegacyAnswer(id, outcome),
        { qos: 1 },
      )
      .catch(() => undefined);
  }

  /** MQTT 5: the answer goes to the response topic with the correlation data. */
  private async answer(
    to: { responseTopic: string; correlationData?: Buffer },
    outcome: CommandOutcome,
  ): Promise<void> {
    await this.client
      .publishAsync(to.responseTopic, JSON.stringify(outcome.ok ? outcome.data : outcome.error), {
        qos: 1,
        properties: {
          correlationData: to.correlationData,
          contentType: 'application/json',
          ...(outcome.ok ? {} : { userProperties: { [ERROR_PROPERTY]: 'true' } }),
        },
      })
      .catch(() => undefined);
  }

  /** Publishes a retained `offline` and disconnects (a clean exit sends no will). */
  async close(): Promise<void> {
    if (this.client.connected) {
      await this.client
        .publishAsync(commandTopics.status(this.prefix, this.name), 'offline', {
          qos: 1,
          retain: true,
          ...(this.protocolVersion === 5
            ? { properties: { userProperties: { [PROTOCOL_PROPERTY]: '5' } } }
            : {}),
        })
        .catch(() => undefined);
    }
    await this.client.endAsync(true);
  }

  /** Drops the connection without a DISCONNECT, as a crash does: the broker sends the will. */
  crash(): void {
    this.client.stream.destroy();
    this.client.end(true);
  }
}

/** Resolves once the client is connected; rejects if the connection fails or closes first. */
function connected(client: MqttClient): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (error?: Error) => {
      client.off('connect', onConnect);
      client.off('error', onError);
      client.off('close', onClose);
      if (!error) return resolve();
      client.end(true);
      reject(error);
    };
    const onConnect = () => settle();
    const onError = (error: Error) => settle(error);
    const onClose = () => settle(new Error("Couldn't connect to server"));
    client.once('connect', onConnect);
    client.once('error', onError);
    client.once('close', onClose);
  });
}
