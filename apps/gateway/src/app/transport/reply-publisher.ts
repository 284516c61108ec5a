import type { MqttClient } from 'mqtt';
import { GatewayError, isErrorReply, toErrorReply, type Reply } from '@mqgw/contracts';
import type { RequestTrace } from '../request/request-trace';
import { replySpaceOf } from '../request/reply-space';
import type { DropReason } from '../request/unanswerable';
import type { Delivery } from './inbound-decoder';
import { ReplyBudget } from './reply-budget';

/** Refusals under load: published at QoS 0, as the cheapest answer there is. */
const OVERLOAD = new Set(['overloaded', 'service_at_limit', 'deadline']);

export interface ReplyOptions {
  maxReplyBytes: number;
  /** Answers per second and reply topic while the caller is not known. */
  unidentifiedPerSecond: number;
  /** Refusals under load answered per second and caller. */
  refusalsPerSecond: number;
}

/**
 * What became of an answer. Neither sent nor dropped: there was no reply topic, or it was a
 * refusal under load past its caller's budget.
 */
export interface Sent {
  sent: boolean;
  dropped?: DropReason;
}

/**
 * Publishes the one answer to a request, where its delivery says, at most `MAX_REPLY_BYTES`
 * (a larger one becomes an error reply). Who may be answered is decided here and only here:
 *
 * - into a reply space bound to a user (`replies/{user}/#`), only that user, once known: an
 *   answer for a caller not (yet) known there is dropped and counted, whatever it says;
 * - elsewhere, answers for a caller not known (an error before or during authentication,
 *   or an anonymous route) are limited per reply topic (`ReplyBudget`), so no one can make
 *   the gateway publish without bound into a topic they name;
 * - refusals under load (`overloaded`, `service_at_limit`, `deadline`) are limited per
 *   caller (per reply space, `replies/<id>`, for a caller not known), and go at QoS 0: a
 *   caller learns that it must back off from the first few, and answering every refused
 *   request of a surge would spend, in the gateway, the broker and the caller, the CPU
 *   that serving needs. The rest get no answer.
 *
 * `caller` is the user id of the principal, or of the device that the broker vouches for.
 */
export class ReplyPublisher {
  private readonly budget: ReplyBudget;
  private readonly refusals: ReplyBudget;

  constructor(
    private readonly client: () => MqttClient | undefined,
    private readonly options: ReplyOptions,
  ) {
    this.budget = new ReplyBudget(options.unidentifiedPerSecond);
    this.refusals = new ReplyBudget(options.refusalsPerSecond);
  }

  async send(
    delivery: Delivery,
    reply: Reply,
    caller: string | undefined,
    qos: 0 | 1 | 2,
    requestId: string,
    trace?: RequestTrace,
  ): Promise<Sent> {
    const client = this.client();
    if (delivery.kind === 'none' || !client) return { sent: false };
    if (delivery.owner !== undefined && delivery.owner !== caller) {
      return {
        sent: false,
        dropped: caller === undefined ? 'unauthenticated_reply' : 'not_your_reply_space',
      };
    }
    if (caller === undefined && !this.budget.take(delivery.topic)) {
      return { sent: false, dropped: 'reply_limited' };
    }
    const refusal = isErrorReply(reply) && OVERLOAD.has(reply.error.reason ?? '');
    // Counted as refused all the same (`mqgw_refused_requests_total`), answered or not.
    if (refusal && !this.refusals.take(refusalKey(caller, delivery.topic))) return { sent: false };
    const traceparent = trace?.traceparent;
    const payload = this.encode(delivery, reply, requestId, traceparent);
    const level = refusal ? 0 : qos;
    const started = trace ? performance.now() : 0;
    try {
      await this.publish(client, delivery, payload, level, traceparent);
    } catch (error) {
      trace?.published(started, level, error);
      throw error;
    }
    trace?.published(started, level);
    return { sent: true };
  }

  /** The reply names the gateway's span (`traceparent`) when the request is traced. */
  private async publish(
    client: MqttClient,
    delivery: Exclude<Delivery, { kind: 'none' }>,
    payload: string,
    qos: 0 | 1 | 2,
    traceparent: string | undefined,
  ): Promise<void> {
    if (delivery.kind === 'enveloped') {
      await client.publishAsync(delivery.topic, payload, { qos });
      return;
    }
    await client.publishAsync(delivery.topic, payload, {
      qos,
      properties: {
        contentType: 'application/json',
        ...(delivery.correlationData ? { correlationData: delivery.correlationData } : {}),
        ...(traceparent ? { userProperties: { traceparent } } : {}),
      },
    });
  }

  private encode(
    delivery: Delivery,
    reply: Reply,
    requestId: string,
    traceparent: string | undefined,
  ): string {
    const headers = traceparent ? { headers: { traceparent } } : {};
    const encode = (r: Reply) =>
      delivery.kind === 'enveloped'
        ? JSON.stringify({ id: delivery.id, response: r, isDisposed: true, ...headers })
        : JSON.stringify(r);
    const payload = encode(reply);
    if (Buffer.byteLength(payload) <= this.options.maxReplyBytes) return payload;
    const limit = this.options.maxReplyBytes;
    return encode(
      toErrorReply(
        new GatewayError('UPSTREAM_ERROR', `the reply is larger than ${limit} bytes`, {
          reason: 'too_large',
          details: { limit },
        }),
        requestId,
      ),
    );
  }
}

/**
 * Whose budget a refusal is answered from: the caller's, across every reply topic it names,
 * so that no one else's refusals (not even an anonymous caller's into its reply space) can
 * spend it; for a caller not known, the reply space's.
 */
function refusalKey(caller: string | undefined, topic: string): string {
  return caller !== undefined ? `caller:${caller}` : `space:${replySpaceOf(topic)}`;
}
