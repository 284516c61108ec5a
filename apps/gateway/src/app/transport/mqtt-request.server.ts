import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Server, type CustomTransportStrategy } from '@nestjs/microservices';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { redactUrlCredentials } from '@mqgw/config';
import {
  GatewayError,
  PUBLIC_REASONS,
  classifyFailure,
  isGatewayError,
  toErrorReply,
  type Reply,
} from '@mqgw/contracts';
import { SampledLog, forRequest } from '@mqgw/logging';
import type { QoS, RouteMatch, RouteTable } from '@mqgw/routes';
import { RequestTracer } from '../observability/request-tracer';
import { AdmissionControl } from '../pipeline/guards/admission-control';
import { PipelineRunner } from '../pipeline/pipeline.runner';
import { GatewayRequest } from '../request/gateway-request';
import type { RequestTrace } from '../request/request-trace';
import { RequestObserver } from '../request/request-observer';
import { isUnanswerable, type DropReason } from '../request/unanswerable';
import { ActiveRoutes } from '../routing/active-routes';
import { DeviceNamespace } from './device-namespace';
import { InboundDecoder, NO_DELIVERY, type Inbound } from './inbound-decoder';
import { ReplyPublisher } from './reply-publisher';
import { WriteBatch } from './write-batch';
import { whyItFailed, within } from './settle';
import { ReplyTopicPolicy } from './reply-topic.policy';
import { TRANSPORT_CONFIG, type TransportConfig } from './transport.config';

const NOT_FOUND = new GatewayError('NOT_FOUND', 'no route for this topic');
/** Refusals under load: counted, and logged only as a sampled summary. */
const REFUSALS = new Set(['overloaded', 'service_at_limit', 'deadline']);

/**
 * The MQTT 5 request/reply transport, the first and last step of every request. Nest's own
 * `ServerMqtt` ignores `responseTopic` and `correlationData`, so this strategy owns the
 * wire: it decodes each request (`InboundDecoder`), matches its route, hands it to the
 * pipeline, and publishes exactly one answer (`ReplyPublisher`), or drops it and counts why.
 */
@Injectable()
export class MqttRequestServer extends Server implements CustomTransportStrategy {
  private client?: MqttClient;
  /** Requests from receipt to answer, admitted or not. */
  private inHand = 0;
  private draining = false;
  private readonly idleWaiters = new Set<() => void>();
  /** Reads of the broker's stream held back while too many requests are in hand. */
  private readonly heldReads: (() => void)[] = [];
  private replyPolicy: ReplyTopicPolicy;
  private readonly devices?: DeviceNamespace;
  private readonly decoder: InboundDecoder;
  private readonly replies: ReplyPublisher;
  private readonly writes = new WriteBatch(() => this.client);
  /** What is subscribed (or will be on connect): topic filter → QoS. */
  private subscribed: Map<string, QoS>;
  protected override readonly logger = new Logger('MqttTransport');
  private readonly errors = new SampledLog((line) => this.logger.error(line));
  private readonly notices = new SampledLog((line) => this.logger.warn(line), { perWindow: 1 });
  private readonly drops = new SampledLog((line) => this.logger.warn(line));

  constructor(
    @Inject(TRANSPORT_CONFIG) private readonly options: TransportConfig,
    private readonly routes: ActiveRoutes,
    private readonly observer: RequestObserver,
    private readonly pipeline: PipelineRunner,
    private readonly admission: AdmissionControl,
    private readonly tracer: RequestTracer,
  ) {
    super();
    if (options.devicePrefix) {
      this.devices = new DeviceNamespace(options.devicePrefix, options.username);
    }
    this.validate(routes.table);
    this.subscribed = this.subscriptionsFor(routes.table);
    this.replyPolicy = this.policyFor([routes.table]);
    this.decoder = new InboundDecoder(
      { maxPayloadBytes: options.maxPayloadBytes, devices: this.devices },
      () => this.replyPolicy,
    );
    this.replies = new ReplyPublisher(() => this.client, options);
  }

  /** Refuses a table that cannot be served next to the device namespace. */
  validate(next: RouteTable): void {
    this.devices?.checkRoutes(next);
  }

  /**
   * Follows a new route table: subscribes to what it adds before unsubscribing from what
   * it removes, so a kept route never goes unsubscribed (the route table matches both
   * meanwhile).
   */
  async follow(next: RouteTable, previous: RouteTable): Promise<void> {
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

  /** Where replies may not go: any route of these tables, their namespaces, the devices'. */
  private policyFor(tables: readonly RouteTable[]): ReplyTopicPolicy {
    const routes = tables.flatMap((t) => t.routes);
    const filters = routes.map((r) => r.filter);
    const spaces = [...new Set(routes.map((r) => `${r.namespace}/#`))];
    if (this.devices) spaces.push(this.devices.space);
    return new ReplyTopicPolicy(
      [...filters, ...(this.devices?.filters(filters) ?? [])],
      spaces,
      this.options.replyPatterns,
    );
  }

  get inflightCount(): number {
    return this.inHand;
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  listen(callback: (error?: unknown) => void): void {
    const { url } = this.options;
    if (!url) throw new Error('MQTT_URL is unset and no embedded broker was started');
    if (this.devices) {
      const p = this.devices.prefix;
      this.logger.warn(
        `DEVICE_TOPIC_PREFIX=${p}: a request on ${p}/<username>/<route> is served as <username>, ` +
          `without credentials. This is safe only if the broker lets each client publish under ` +
          `${p}/<its own username>/ alone (docs/security.md#devices).`,
      );
    }
    const client = mqtt.connect(url, this.clientOptions());
    this.client = client;
    // mqtt.js logs through `debug` about ten times per message; unless DEBUG asks for it,
    // each call still costs a call and an `enabled` check (3 % of the gateway under a flood).
    if (!(client.log as { enabled?: boolean }).enabled) client.log = () => undefined;
    let started = false;
    client.on('connect', () => {
      (client.stream as unknown as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
      this.subscribe(client, this.subscribed)
        .then(() => {
          this.logger.log(
            `subscribed to ${this.routes.routes.length} routes on ${redactUrlCredentials(url)}`,
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
      // Its PUBACK, and whatever else this turn writes, leave in one write.
      this.writes.hold();
      void this.handle(topic, payload, packet);
    });
    // Backpressure: with twice MAX_INFLIGHT requests in hand (admitted, or still being
    // authenticated), the next message is not read until one is done. Nobody is refused
    // for it; requests wait in the socket and the broker, which bounds the memory they take
    // here whatever a flood of failures does.
    client.handleMessage = (_packet, done) => {
      if (this.inHand < 2 * this.options.maxInflight) done();
      else this.heldReads.push(() => done());
    };
  }

  private clientOptions(): IClientOptions {
    const { options } = this;
    return {
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
  }

  /**
   * Stops taking requests, lets those in flight finish, and disconnects: each part bounded,
   * so that a broker that is gone cannot hold the process (SHUTDOWN_GRACE_MS in all).
   */
  async close(): Promise<void> {
    if (!this.client || this.draining) return;
    this.draining = true;
    const client = this.client;
    const grace = this.options.shutdownGraceMs;
    const started = Date.now();
    if (client.connected) {
      await within(client.unsubscribeAsync([...this.subscribed.keys()]), Math.min(1000, grace));
    }
    await this.waitIdle(Math.max(0, grace - (Date.now() - started)));
    const ended = await within(client.endAsync(), 1000);
    if (!ended) client.end(true);
  }

  on(): never {
    throw new Error('MqttRequestServer has no events to listen to');
  }

  unwrap<T>(): T {
    if (!this.client) throw new Error('not listening');
    return this.client as T;
  }

  /** Handles one PUBLISH. Never throws: every outcome is one answer or a counted drop. */
  async handle(topic: string, payload: Buffer, packet: IPublishPacket): Promise<void> {
    const receivedAt = performance.now();
    const requestId = randomUUID();
    this.inHand++;
    let inbound: Inbound | undefined;
    let request: GatewayRequest | undefined;
    let trace: RequestTrace | undefined;
    try {
      let reply: Reply;
      try {
        inbound = this.decoder.decode(topic, payload, packet, receivedAt);
        const match = inbound.problem ? undefined : this.routes.matcher.match(inbound.routeTopic);
        trace = this.traceOf(inbound, match, receivedAt);
        request = this.requestOf(requestId, inbound, match, receivedAt, trace);
        reply = (await this.pipeline.run(request)) as Reply;
      } catch (error) {
        if (isUnanswerable(error)) {
          trace?.end({ 'mqgw.outcome': 'dropped', 'mqgw.drop_reason': error.reason }, false);
          return this.drop(requestId, topic, error.reason, error.detail);
        }
        reply = this.errorReply(error, requestId, topic, trace);
      }
      await this.answer(inbound, request, reply, requestId, trace);
    } finally {
      this.finished(request);
    }
  }

  /** The server span, which wraps the one pipeline; with tracing off, nothing is allocated. */
  private traceOf(
    inbound: Inbound,
    match: RouteMatch | undefined,
    receivedAt: number,
  ): RequestTrace | undefined {
    if (!this.tracer.enabled) return undefined;
    return this.tracer.begin(inbound, this.options.clientId, match?.route, receivedAt);
  }

  /** The request the pipeline runs: its route matched, what is wrong with it refused. */
  private requestOf(
    requestId: string,
    inbound: Inbound,
    match: RouteMatch | undefined,
    receivedAt: number,
    trace: RequestTrace | undefined,
  ): GatewayRequest {
    if (inbound.problem) throw inbound.problem;
    if (!match) throw NOT_FOUND;
    const { delivery } = inbound;
    return new GatewayRequest(
      requestId,
      inbound.topic,
      match.route,
      match.params,
      inbound.headers,
      receivedAt,
      {
        body: inbound.body,
        replyTopic: delivery.kind === 'none' ? undefined : delivery.topic,
        replyOwner: delivery.kind === 'none' ? undefined : delivery.owner,
        device: inbound.device,
        deadline: inbound.deadline,
        trace,
      },
    );
  }

  /** The error envelope for anything thrown; failures of the gateway or a service are logged. */
  private errorReply(
    error: unknown,
    requestId: string,
    topic: string,
    trace: RequestTrace | undefined,
  ): Reply {
    const reply = toErrorReply(error, requestId);
    const reason = isGatewayError(error) ? error.reason : undefined;
    if (reason && REFUSALS.has(reason)) {
      this.notices.log(reason, () => `refusing requests: ${reply.error.message}`);
    } else if (reply.status_code >= 500 && !classifyFailure(error).callerFault) {
      const code = reason && PUBLIC_REASONS.has(reason) ? reason : reply.error.code;
      this.errors.log(code, () =>
        forRequest(requestId, `request on ${topic} failed: ${whyItFailed(error)}`, trace?.ids),
      );
    }
    return reply;
  }

  /** Publishes the answer, or counts why it was not; the observer hears of both. */
  private async answer(
    inbound: Inbound | undefined,
    request: GatewayRequest | undefined,
    reply: Reply,
    requestId: string,
    trace: RequestTrace | undefined,
  ): Promise<void> {
    const topic = inbound?.topic ?? '';
    // The caller, where known: the principal auth established, or the device the broker vouches for.
    const caller = request?.principal.userId ?? inbound?.device;
    this.writes.hold();
    try {
      const sent = await this.replies.send(
        inbound?.delivery ?? NO_DELIVERY,
        reply,
        caller,
        inbound?.qos ?? 0,
        requestId,
        trace,
      );
      if (sent.dropped) this.drop(requestId, topic, sent.dropped, sent.dropped, trace);
      else this.observer.completed(request, topic, reply, sent.sent);
    } catch (error) {
      this.drop(requestId, topic, 'publish_failed', (error as Error).message, trace);
    } finally {
      trace?.finish(reply, request);
    }
  }

  /** A request neither run nor answered (or its answer not published): counted and logged, sampled. */
  private drop(
    requestId: string,
    topic: string,
    reason: DropReason,
    detail: string,
    trace?: RequestTrace,
  ): void {
    this.observer.dropped(reason, topic, detail);
    this.drops.log(`dropped (${detail})`, () =>
      forRequest(requestId, `dropped request on ${topic.slice(0, 256)}: ${detail}`, trace?.ids),
    );
  }

  private finished(request: GatewayRequest | undefined): void {
    if (request) this.admission.finish(request);
    this.inHand--;
    this.heldReads.shift()?.();
    if (this.inHand === 0) for (const wake of this.idleWaiters) wake();
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
    if (this.inHand === 0) return Promise.resolve();
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
