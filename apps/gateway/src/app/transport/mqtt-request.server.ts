import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Server, type CustomTransportStrategy } from '@nestjs/microservices';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { redactUrlCredentials } from '@mqgw/config';
import {
  GatewayError,
  classifyFailure,
  isGatewayError,
  toErrorReply,
  type Reply,
} from '@mqgw/contracts';
import { forRequest } from '@mqgw/logging';
import { PipelineRunner } from '../pipeline/pipeline.runner';
import { GatewayRequest } from '../request/gateway-request';
import { RequestObserver } from '../request/request-observer';
import type { QoS, RouteTable } from '@mqgw/routes';
import { ActiveRoutes, type RoutesListener } from '../routing/active-routes';
import { DeviceNamespace, namespaceConflict } from './device-namespace';
import {
  asNestPacket,
  parseBody,
  readDeviceEnvelope,
  readHeaders,
  requireObject,
  type NestPacket,
} from './inbound';
import { ReplyTopicPolicy } from './reply-topic.policy';
import { TRANSPORT_CONFIG, type TransportConfig } from './transport.config';

/**
 * Where (and whether) the reply to one request goes: MQTT 5 properties, or the
 * `{id, response}` envelope of NestJS clients and devices.
 */
type Delivery =
  | { kind: 'mqtt5'; topic: string; correlationData?: Buffer; owner?: string }
  | { kind: 'enveloped'; topic: string; id: string; owner?: string }
  | { kind: 'none' };

/**
 * The MQTT 5 request/reply transport, the first and last step of every request. Nest's own
 * `ServerMqtt` ignores `responseTopic` and `correlationData`, so this strategy owns the
 * wire: it matches the topic against the route table, validates the envelope, hands the
 * request to the pipeline, and publishes exactly one reply; anything thrown on the way
 * becomes the error envelope here.
 */
@Injectable()
export class MqttRequestServer extends Server implements CustomTransportStrategy, RoutesListener {
  private client?: MqttClient;
  private inflight = 0;
  private draining = false;
  private readonly idleWaiters = new Set<() => void>();
  private replyPolicy: ReplyTopicPolicy;
  private readonly devices?: DeviceNamespace;
  /** What is subscribed (or will be on connect): topic filter → QoS. */
  private subscribed: Map<string, QoS>;
  protected override readonly logger = new Logger('MqttTransport');

  constructor(
    @Inject(TRANSPORT_CONFIG) private readonly options: TransportConfig,
    private readonly routes: ActiveRoutes,
    private readonly observer: RequestObserver,
    private readonly pipeline: PipelineRunner,
  ) {
    super();
    if (options.devicePrefix) {
      this.devices = new DeviceNamespace(options.devicePrefix, options.username);
    }
    this.validate(routes.table);
    this.subscribed = this.subscriptionsFor(routes.table);
    this.replyPolicy = this.policyFor([routes.table]);
    routes.subscribe(this);
  }

  /**
   * Follows a new route table: subscribes to what it adds before unsubscribing from what
   * it removes, so a kept route never goes unsubscribed (the route table matches both
   * meanwhile).
   */
  async routesChanged(next: RouteTable, previous: RouteTable): Promise<void> {
    const wanted = this.subscriptionsFor(next);
    const added = [...wanted].filter(([topic, qos]) => this.subscribed.get(topic) !== qos);
    const removed = [...this.subscribed.keys()].filter((topic) => !wanted.has(topic));
    this.replyPolicy = this.policyFor([next, previous]);
    const client = this.client;
    if (client?.connected && added.length > 0) {
      await this.subscribe(client, new Map(added));
    }
    if (client?.connected && removed.length > 0) {
      await client.unsubscribeAsync(removed);
    }
    this.subscribed = wanted;
    this.replyPolicy = this.policyFor([next]);
    this.logger.log(
      `routes ${next.digest}: subscribed to ${added.length} filters, unsubscribed from ${removed.length}`,
    );
  }

  /** The filters to subscribe to, with their QoS: each route's, and under the device namespace. */
  private subscriptionsFor(table: RouteTable): Map<string, QoS> {
    const group = this.options.sharedGroup;
    const topics = new Map<string, QoS>();
    for (const route of table.routes) {
      const filters = [route.filter, ...(this.devices?.filters([route.filter]) ?? [])];
      for (const filter of filters)
        topics.set(group ? `$share/${group}/${filter}` : filter, route.qos);
    }
    return topics;
  }

  /** Refuses a table that cannot be served next to the device namespace (before it is applied). */
  validate(next: RouteTable): void {
    const conflict = namespaceConflict(
      next.routes.map((r) => r.template.split('/')[0]),
      this.devices?.prefix,
    );
    if (conflict) throw new Error(conflict);
  }

  /** Where replies may not go: any route of these tables, their namespaces, the devices'. */
  private policyFor(tables: readonly RouteTable[]): ReplyTopicPolicy {
    const routes = tables.flatMap((t) => t.routes);
    const filters = routes.map((r) => r.filter);
    const spaces = [...new Set(routes.map((r) => `${r.template.split('/')[0]}/#`))];
    if (this.devices) spaces.push(this.devices.space);
    return new ReplyTopicPolicy(
      [...filters, ...(this.devices?.filters(filters) ?? [])],
      spaces,
      this.options.replyPatterns,
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
    if (this.devices) {
      const p = this.devices.prefix;
      this.logger.warn(
        `DEVICE_TOPIC_PREFIX=${p}: a request on ${p}/<username>/<route> is served as <username>, ` +
          `without credentials. This is safe only if the broker lets each client publish under ` +
          `${p}/<its own username>/ alone (docs/security.md#devices).`,
      );
    }
    const client = mqtt.connect(options.url, clientOptions);
    this.client = client;
    let started = false;
    client.on('connect', () => {
      (client.stream as unknown as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
      this.subscribeAll()
        .then(() => {
          this.logger.log(
            `subscribed to ${this.routes.routes.length} routes on ${redactUrlCredentials(options.url!)}`,
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
    let request: GatewayRequest | undefined;
    this.inflight++;
    try {
      // A retained request would run again on every subscribe, by whoever published it,
      // long after: never run one (the subscriptions also ask the broker not to send them).
      if (packet.retain) return this.drop(requestId, topic, 'retained', 'retained');
      // Under the device namespace the broker vouches for the caller: see DeviceNamespace.
      const device = this.devices?.parse(topic);
      if (device && 'invalid' in device) {
        return this.drop(requestId, topic, device.invalid, 'invalid_device');
      }
      let delivery: Delivery = { kind: 'none' };
      if (props.responseTopic !== undefined) {
        const verdict = device
          ? this.devices!.checkReply(device, props.responseTopic)
          : this.replyPolicy.check(props.responseTopic);
        if (verdict.unsafe) return this.drop(requestId, topic, verdict.unsafe);
        const { correlationData } = props;
        delivery = { kind: 'mqtt5', topic: props.responseTopic, correlationData, ...verdict };
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
        if (delivery.kind === 'none' && device) {
          // A device without responseTopic (MQTT 3.1.1) sends {id, data}; the reply goes to
          // its own reply space.
          const envelope = readDeviceEnvelope(body);
          if (envelope.id !== undefined) {
            delivery = { kind: 'enveloped', topic: device.replyTopic, id: envelope.id };
          }
          if (envelope.error) throw envelope.error;
          body = envelope.data;
        }
        const nest = delivery.kind === 'none' && !device ? asNestPacket(body, topic) : undefined;
        if (nest) {
          // The NestJS ClientMqtt form answers on <topic>/reply, under the same policy.
          const verdict = this.replyPolicy.checkNestReply(topic);
          if (verdict.unsafe) return this.drop(requestId, topic, verdict.unsafe);
          delivery = { kind: 'enveloped', topic: `${topic}/reply`, id: nest.id, ...verdict };
          body = (nest as NestPacket).data;
        }
        const match = this.routes.matcher.match(device ? device.routeTopic : topic);
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
        if (delivery.kind !== 'none') request.replyOwner = delivery.owner;
        request.device = device?.device;
        reply = (await this.pipeline.run(request, requireObject(body))) as Reply;
      } catch (error) {
        // A caller who aimed the reply at another's space gets nothing, and neither do they.
        if (isGatewayError(error) && error.reason === 'reply_not_owned') {
          return this.drop(requestId, topic, 'not_your_reply_space');
        }
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
      const replied = await this.reply(delivery, reply, packet.qos, requestId);
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

  /** A request that is neither executed nor answered: counted and logged with why. */
  private drop(
    requestId: string,
    topic: string,
    why: string,
    reason: 'unsafe_response_topic' | 'invalid_device' | 'retained' = 'unsafe_response_topic',
  ): void {
    this.observer.dropped(reason, topic, why);
    const what =
      reason === 'retained'
        ? 'it is a retained message'
        : `${reason === 'invalid_device' ? 'its device level' : 'its reply topic'} is unsafe (${why})`;
    this.logger.warn(forRequest(requestId, `dropped request on ${topic}: ${what}`));
  }

  /**
   * Publishes exactly one reply, at most `MAX_REPLY_BYTES`: a larger one becomes an error
   * reply, so one request cannot make the gateway publish more than that.
   */
  private async reply(
    delivery: Delivery,
    reply: Reply,
    qos: 0 | 1 | 2,
    requestId: string,
  ): Promise<boolean> {
    if (delivery.kind === 'none' || !this.client) return false;
    const encode = (r: Reply) =>
      delivery.kind === 'enveloped'
        ? JSON.stringify({ id: delivery.id, response: r, isDisposed: true })
        : JSON.stringify(r);
    let payload = encode(reply);
    if (Buffer.byteLength(payload) > this.options.maxReplyBytes) {
      const limit = this.options.maxReplyBytes;
      payload = encode(
        toErrorReply(
          new GatewayError('UPSTREAM_ERROR', `the reply is larger than ${limit} bytes`, {
            reason: 'too_large',
            details: { limit },
          }),
          requestId,
        ),
      );
    }
    if (delivery.kind === 'enveloped') {
      await this.client.publishAsync(delivery.topic, payload, { qos });
      return true;
    }
    await this.client.publishAsync(delivery.topic, payload, {
      qos,
      properties: {
        contentType: 'application/json',
        ...(delivery.correlationData ? { correlationData: delivery.correlationData } : {}),
      },
    });
    return true;
  }

  private subscriptionTopics(): string[] {
    return [...this.subscribed.keys()];
  }

  private subscribeAll(): Promise<void> {
    return this.subscribe(this.client!, this.subscribed);
  }

  private async subscribe(client: MqttClient, topics: ReadonlyMap<string, QoS>): Promise<void> {
    const grants = await client.subscribeAsync(
      Object.fromEntries([...topics].map(([topic, qos]) => [topic, { qos }])),
    );
    const refused = grants.filter((g) => g.qos >= 128);
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
