import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Server, type CustomTransportStrategy } from '@nestjs/microservices';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { redactUrlCredentials } from '@mqgw/config';
import { GatewayError, classifyFailure, toErrorReply, type Reply } from '@mqgw/contracts';
import { forRequest } from '@mqgw/logging';
import { PipelineRunner } from '../pipeline/pipeline.runner';
import { GatewayRequest } from '../request/gateway-request';
import { RequestObserver } from '../request/request-observer';
import { RouteMatcher } from '../routing/route-matcher';
import { asNestPacket, parseBody, readHeaders, requireObject, type NestPacket } from './inbound';
import { ReplyTopicPolicy } from './reply-topic.policy';
import { TRANSPORT_CONFIG, type TransportConfig } from './transport.config';

type ReplyTarget =
  | { kind: 'mqtt5'; topic: string; correlationData?: Buffer }
  | { kind: 'nest'; topic: string; id: string }
  | { kind: 'none' };

/**
 * The MQTT 5 request/reply transport, the first and last step of every request. Nest's own
 * `ServerMqtt` ignores `responseTopic` and `correlationData`, so this strategy owns the
 * wire: it matches the topic against the route table, validates the envelope, hands the
 * request to the pipeline, and publishes exactly one reply; anything thrown on the way
 * becomes the error envelope here.
 */
@Injectable()
export class MqttRequestServer extends Server implements CustomTransportStrategy {
  private client?: MqttClient;
  private inflight = 0;
  private draining = false;
  private readonly idleWaiters = new Set<() => void>();
  private readonly replyPolicy: ReplyTopicPolicy;
  private readonly filters: string[];
  protected override readonly logger = new Logger('MqttTransport');

  constructor(
    @Inject(TRANSPORT_CONFIG) private readonly options: TransportConfig,
    private readonly matcher: RouteMatcher,
    private readonly observer: RequestObserver,
    private readonly pipeline: PipelineRunner,
  ) {
    super();
    this.filters = matcher.routes.map((r) => r.filter);
    const prefixes = [...new Set(matcher.routes.map((r) => `${r.template.split('/')[0]}/#`))];
    this.replyPolicy = new ReplyTopicPolicy(
      [...this.filters, ...prefixes],
      options.replyTopicPattern,
    );
  }

  get inflightCount(): number {
    return this.inflight;
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  listen(callback: (error?: unknown) => void): void {
    const { options } = this;
    const clientOptions: IClientOptions = {
      protocolVersion: 5,
      clientId: options.clientId,
      username: options.username,
      password: options.password,
      clean: options.sessionExpirySeconds === 0,
      properties:
        options.sessionExpirySeconds > 0
          ? { sessionExpiryInterval: options.sessionExpirySeconds }
          : {},
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      resubscribe: false,
      keepalive: 30,
    };
    if (!options.url) throw new Error('MQTT_URL is unset and no embedded broker was started');
    const client = mqtt.connect(options.url, clientOptions);
    this.client = client;
    let started = false;
    client.on('connect', () => {
      (client.stream as unknown as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
      this.subscribeAll()
        .then(() => {
          this.logger.log(
            `subscribed to ${this.filters.length} routes on ${redactUrlCredentials(options.url!)}`,
          );
          if (!started) {
            started = true;
            callback();
          }
        })
        .catch((error) => this.logger.error(`subscribe failed: ${(error as Error).message}`));
    });
    client.on('error', (error) => this.logger.warn(`mqtt: ${error.message}`));
    client.on('offline', () => this.logger.warn('mqtt offline; reconnecting'));
    client.on('message', (topic, payload, packet) => {
      void this.handle(topic, payload, packet);
    });
  }

  /** Stops taking requests, lets those in flight finish (bounded), then disconnects. */
  async close(): Promise<void> {
    if (!this.client || this.draining) return;
    this.draining = true;
    const client = this.client;
    if (client.connected) {
      await client.unsubscribeAsync(this.subscriptionTopics()).catch(() => undefined);
    }
    await this.waitIdle(this.options.shutdownGraceMs);
    await client.endAsync().catch(() => undefined);
  }

  on(): never {
    throw new Error('MqttRequestServer has no events to listen to');
  }

  unwrap<T>(): T {
    if (!this.client) throw new Error('not listening');
    return this.client as T;
  }

  /** Handles one PUBLISH. Never throws: every outcome is a reply or a counted drop. */
  async handle(topic: string, payload: Buffer, packet: IPublishPacket): Promise<void> {
    const requestId = randomUUID();
    const receivedAt = performance.now();
    const props = packet.properties ?? {};
    let target: ReplyTarget = { kind: 'none' };
    let request: GatewayRequest | undefined;
    this.inflight++;
    try {
      if (props.responseTopic !== undefined) {
        const unsafe = this.replyPolicy.check(props.responseTopic);
        if (unsafe) {
          this.observer.dropped('unsafe_response_topic', topic, unsafe);
          this.logger.warn(
            forRequest(
              requestId,
              `dropped request on ${topic}: responseTopic is unsafe (${unsafe})`,
            ),
          );
          return;
        }
        target = {
          kind: 'mqtt5',
          topic: props.responseTopic,
          correlationData: props.correlationData,
        };
      }
      let reply: Reply;
      try {
        if (payload.length > this.options.maxPayloadBytes) {
          throw new GatewayError(
            'PAYLOAD_TOO_LARGE',
            `payload exceeds ${this.options.maxPayloadBytes} bytes`,
          );
        }
        let body = parseBody(payload);
        if (target.kind === 'none') {
          const nest = asNestPacket(body, topic);
          if (nest) {
            target = { kind: 'nest', topic: `${topic}/reply`, id: nest.id };
            body = (nest as NestPacket).data;
          }
        }
        const match = this.matcher.match(topic);
        if (!match) throw new GatewayError('NOT_FOUND', 'no route for this topic');
        const headers = readHeaders(props.userProperties);
        // Requests that still arrive while draining were routed to us: serve them too.
        if (this.inflight > this.options.maxInflight) {
          throw new GatewayError('SERVICE_UNAVAILABLE', 'gateway is overloaded', { retryAfter: 1 });
        }
        request = new GatewayRequest(
          requestId,
          topic,
          match.route,
          match.params,
          headers,
          receivedAt,
        );
        reply = (await this.pipeline.run(request, requireObject(body))) as Reply;
      } catch (error) {
        reply = toErrorReply(error, requestId);
        if (!classifyFailure(error).callerFault && reply.status_code >= 500) {
          this.logger.error(
            forRequest(
              requestId,
              `request on ${topic} failed: ${(error as Error)?.stack ?? error}`,
            ),
          );
        }
      }
      const replied = await this.reply(target, reply, packet.qos);
      this.observer.completed(request, topic, reply, replied);
    } catch (error) {
      this.observer.dropped('publish_failed', topic, (error as Error).message);
      this.logger.error(
        forRequest(requestId, `reply on ${topic} failed: ${(error as Error).message}`),
      );
    } finally {
      this.inflight--;
      if (this.inflight === 0) for (const wake of this.idleWaiters) wake();
    }
  }

  private async reply(target: ReplyTarget, reply: Reply, qos: 0 | 1 | 2): Promise<boolean> {
    if (target.kind === 'none' || !this.client) return false;
    if (target.kind === 'nest') {
      const packet = JSON.stringify({ id: target.id, response: reply, isDisposed: true });
      await this.client.publishAsync(target.topic, packet, { qos });
      return true;
    }
    await this.client.publishAsync(target.topic, JSON.stringify(reply), {
      qos,
      properties: {
        contentType: 'application/json',
        ...(target.correlationData ? { correlationData: target.correlationData } : {}),
      },
    });
    return true;
  }

  private subscriptionTopics(): string[] {
    const group = this.options.sharedGroup;
    return this.filters.map((filter) => (group ? `$share/${group}/${filter}` : filter));
  }

  private async subscribeAll(): Promise<void> {
    const client = this.client!;
    const topics = this.subscriptionTopics();
    const grants = await client.subscribeAsync(
      Object.fromEntries(topics.map((t, i) => [t, { qos: this.matcher.routes[i].qos }])),
    );
    const refused = grants.filter((g) => g.qos === 128);
    if (refused.length > 0) {
      throw new Error(`broker refused ${refused.map((g) => g.topic).join(', ')}`);
    }
  }

  private waitIdle(timeoutMs: number): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.idleWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.idleWaiters.add(done);
    });
  }
}
