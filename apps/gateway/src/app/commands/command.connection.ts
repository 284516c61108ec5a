import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import mqtt, { type IClientPublishOptions, type MqttClient } from 'mqtt';
import { commandTopics } from '@mqgw/contracts';
import { TRANSPORT_CONFIG, type TransportConfig } from '../transport/transport.config';
import { COMMANDS_CONFIG, type CommandsConfig } from './commands.config';

export interface InboundMessage {
  topic: string;
  payload: Buffer;
  retain: boolean;
  correlationData?: Buffer;
  userProperties: Record<string, string | string[]>;
}

/**
 * The commands' own MQTT 5 connection, apart from the request transport: client id
 * `<MQTT_CLIENT_ID>-commands`, the gateway's broker login. It publishes commands, reads
 * every device's retained status, and reads answers, through the gateways' shared group
 * when there is one, so that each answer reaches one instance.
 */
@Injectable()
export class CommandConnection {
  private readonly logger = new Logger('Commands');
  private client?: MqttClient;
  private handler: (message: InboundMessage) => void = () => undefined;
  /** Names this instance on the answer bus; new at each start, so no stale call is matched. */
  readonly instance: string;

  constructor(
    @Inject(TRANSPORT_CONFIG) private readonly transport: TransportConfig,
    @Inject(COMMANDS_CONFIG) private readonly config: CommandsConfig,
  ) {
    this.instance = `${this.clientId}.${randomBytes(4).toString('hex')}`;
  }

  get clientId(): string {
    return `${this.transport.clientId}-commands`.slice(0, 64);
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  onMessage(handler: (message: InboundMessage) => void): void {
    this.handler = handler;
  }

  async start(): Promise<void> {
    const prefix = this.config.prefix as string;
    const replies = commandTopics.replyFilter(prefix);
    const group = this.transport.sharedGroup;
    const client = await mqtt.connectAsync(
      this.transport.url as string,
      {
        protocolVersion: 5,
        clientId: this.clientId,
        username: this.transport.username,
        password: this.transport.password,
        clean: true,
        reconnectPeriod: 1000,
        connectTimeout: 5000,
      },
      false,
    );
    this.client = client;
    const setNoDelay = () =>
      (client.stream as unknown as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    setNoDelay();
    client.on('connect', setNoDelay);
    client.on('error', (error) => this.logger.warn(`command connection: ${error.message}`));
    client.on('message', (topic, payload, packet) => {
      const properties = packet.properties ?? {};
      this.handler({
        topic,
        payload,
        retain: packet.retain,
        correlationData: properties.correlationData,
        userProperties: properties.userProperties ?? {},
      });
    });
    // Statuses on every instance (each must know them all); answers to one instance.
    await client.subscribeAsync(
      {
        [commandTopics.statusFilter(prefix)]: { qos: 1 },
        [group ? `$share/${group}/${replies}` : replies]: { qos: 1 },
      },
      {},
    );
  }

  /** Publishes with QoS 1; rejects when the broker does not take it. */
  async publish(topic: string, payload: string, options: IClientPublishOptions): Promise<void> {
    const client = this.client;
    if (!client?.connected) throw new Error('not connected to the broker');
    const packet = await client.publishAsync(topic, payload, { qos: 1, ...options });
    // Mosquitto answers a refused publish with a PUBACK reason code of 0x80 or more.
    const reason = (packet as { reasonCode?: number } | undefined)?.reasonCode ?? 0;
    if (reason >= 0x80) throw new Error(`the broker refused the command (reason ${reason})`);
  }

  async stop(): Promise<void> {
    await this.client?.endAsync(false).catch(() => this.client?.end(true));
  }
}
