import type { IPublishPacket } from 'mqtt';
import { GatewayError, REQUEST_HEADER } from '@mqgw/contracts';
import type { QoS } from '@mqgw/routes';
import { TRACEPARENT, TRACESTATE, traceHeadersOf, type TraceHeaders } from '@mqgw/tracing';
import { parseBody, type BodySource } from '../request/request-body';
import { UnanswerableRequest } from '../request/unanswerable';
import type { DeviceNamespace } from './device-namespace';
import { asNestPacket, readDeviceEnvelope, readHeaders } from './inbound';
import type { ReplyTopicPolicy, ReplyVerdict } from './reply-topic.policy';

/**
 * Where (and whether) the answer to one request goes: MQTT 5 properties, or the
 * `{id, response}` envelope of NestJS clients and devices. `owner` is the user whose reply
 * space the topic is in, when the reply pattern binds one.
 */
export type Delivery =
  | { kind: 'mqtt5'; topic: string; correlationData?: Buffer; owner?: string }
  | { kind: 'enveloped'; topic: string; id: string; owner?: string }
  | { kind: 'none' };

export const NO_DELIVERY: Delivery = { kind: 'none' };

/** One PUBLISH, read as far as the transport needs before the route table and the pipeline. */
export interface Inbound {
  topic: string;
  /** The topic matched against the routes: under the device namespace, what follows the device. */
  routeTopic: string;
  qos: QoS;
  delivery: Delivery;
  /** The device's broker username, under the device namespace. */
  device?: string;
  headers: Record<string, string>;
  body: BodySource;
  /** The client's deadline (`performance.now()` ms), from message expiry or `deadline`. */
  deadline?: number;
  /** The caller's W3C trace context: MQTT 5 user properties, or an envelope's `headers`. */
  trace?: TraceHeaders;
  /** What is wrong with the request: answered to `delivery`, nothing run. */
  problem?: GatewayError;
}

const NO_HEADERS: Record<string, string> = Object.freeze(Object.create(null));
const EPOCH_MS = /^\d{12,15}$/;

/**
 * Reads an inbound PUBLISH: whether it may be answered at all, and where; its headers, body
 * and deadline. A request that must get no answer (retained, an unsafe reply topic, a
 * device level that is no device) throws `UnanswerableRequest`. Anything else wrong is
 * recorded as its `problem`, so that it is answered where the reply was to go. An MQTT 5
 * body is left raw (`BodySource`): it is decoded only if the pipeline gets that far.
 */
export class InboundDecoder {
  constructor(
    private readonly options: { maxPayloadBytes: number; devices?: DeviceNamespace },
    private readonly policy: () => ReplyTopicPolicy,
  ) {}

  decode(topic: string, payload: Buffer, packet: IPublishPacket, receivedAt: number): Inbound {
    // A retained request would run again on every subscribe, by whoever published it,
    // long after: never run one (the subscriptions also ask the broker not to send them).
    if (packet.retain) throw new UnanswerableRequest('retained', 'it is a retained message');
    // Under the device namespace the broker vouches for the caller: see DeviceNamespace.
    const device = this.options.devices?.parse(topic);
    if (device && 'invalid' in device)
      throw new UnanswerableRequest('invalid_device', device.invalid);
    const props = packet.properties ?? {};
    const inbound: Inbound = {
      topic,
      routeTopic: device ? device.routeTopic : topic,
      qos: packet.qos,
      delivery: NO_DELIVERY,
      device: device?.device,
      headers: NO_HEADERS,
      body: { raw: payload, maxBytes: this.options.maxPayloadBytes },
    };
    if (props.responseTopic !== undefined) {
      const verdict = device
        ? this.options.devices!.checkReply(device, props.responseTopic)
        : this.policy().check(props.responseTopic);
      inbound.delivery = deliverable(verdict, {
        kind: 'mqtt5',
        topic: props.responseTopic,
        correlationData: props.correlationData,
        owner: verdict.owner,
      });
    } else {
      this.readEnvelope(inbound, payload, device?.replyTopic);
    }
    if (inbound.problem) return inbound;
    try {
      if (props.userProperties) {
        inbound.headers = readHeaders(props.userProperties);
        inbound.trace ??= traceHeadersOf({
          traceparent: inbound.headers[TRACEPARENT],
          tracestate: inbound.headers[TRACESTATE],
        });
      }
      inbound.deadline = deadlineOf(props.messageExpiryInterval, inbound.headers, receivedAt);
    } catch (error) {
      inbound.problem = error as GatewayError;
    }
    return inbound;
  }

  /**
   * Without `responseTopic` the answer's address is in the body: a device's `{id, data}`
   * (answered in its own reply space) or a NestJS client's `{pattern, id, data}`
   * (answered on `<topic>/reply`, under the reply policy). Otherwise there is no answer.
   */
  private readEnvelope(inbound: Inbound, payload: Buffer, deviceReplyTopic?: string): void {
    let body: unknown;
    try {
      if (payload.length > this.options.maxPayloadBytes) {
        throw new GatewayError(
          'PAYLOAD_TOO_LARGE',
          `payload exceeds ${this.options.maxPayloadBytes} bytes`,
        );
      }
      body = parseBody(payload);
    } catch (error) {
      inbound.problem = error as GatewayError;
      return;
    }
    if (deviceReplyTopic !== undefined) {
      const envelope = readDeviceEnvelope(body);
      if (envelope.id !== undefined) {
        inbound.delivery = { kind: 'enveloped', topic: deviceReplyTopic, id: envelope.id };
      }
      inbound.problem = envelope.error;
      inbound.body = { value: envelope.data };
      inbound.trace = traceHeadersOf(envelope.headers);
      return;
    }
    const nest = asNestPacket(body, inbound.topic);
    if (nest) {
      const verdict = this.policy().checkNestReply(inbound.topic);
      inbound.delivery = deliverable(verdict, {
        kind: 'enveloped',
        topic: `${inbound.topic}/reply`,
        id: nest.id,
        owner: verdict.owner,
      });
      inbound.body = { value: nest.data };
      inbound.trace = traceHeadersOf(nest.headers);
      return;
    }
    inbound.body = { value: body };
  }
}

function deliverable(verdict: ReplyVerdict, delivery: Delivery): Delivery {
  if (verdict.unsafe) {
    throw new UnanswerableRequest(
      'unsafe_response_topic',
      `its reply topic is unsafe (${verdict.unsafe})`,
    );
  }
  return delivery;
}

/**
 * The client's deadline: the MQTT 5 message expiry (which the broker counts down while the
 * request waits there), or a `deadline` header in epoch milliseconds, whichever is sooner.
 */
function deadlineOf(
  expirySeconds: number | undefined,
  headers: Record<string, string>,
  receivedAt: number,
): number | undefined {
  let deadline = expirySeconds ? receivedAt + expirySeconds * 1000 : undefined;
  const header = headers[REQUEST_HEADER.deadline];
  if (header !== undefined) {
    if (!EPOCH_MS.test(header)) {
      throw new GatewayError('BAD_REQUEST', 'deadline must be epoch milliseconds');
    }
    const fromHeader = receivedAt + (Number(header) - Date.now());
    deadline = deadline === undefined ? fromHeader : Math.min(deadline, fromHeader);
  }
  return deadline;
}
