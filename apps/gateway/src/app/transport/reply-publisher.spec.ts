import type { MqttClient } from 'mqtt';
import { GatewayError, toErrorReply, type Reply } from '@mqgw/contracts';
import { ReplyPublisher } from './reply-publisher';

/** The broker side of the publisher: what it was asked to publish, in order. */
function publisher(refusalsPerSecond: number) {
  const published: { topic: string; qos: number }[] = [];
  const client = {
    publishAsync: async (topic: string, _payload: string, options: { qos: number }) => {
      published.push({ topic, qos: options.qos });
    },
  } as unknown as MqttClient;
  const replies = new ReplyPublisher(() => client, {
    maxReplyBytes: 65_536,
    unidentifiedPerSecond: 1000,
    refusalsPerSecond,
  });
  return { replies, published };
}

const overloaded = (): Reply =>
  toErrorReply(
    new GatewayError('SERVICE_UNAVAILABLE', 'gateway is overloaded', {
      retryAfter: 1,
      reason: 'overloaded',
    }),
    'r',
  );
const to = (topic: string) => ({ kind: 'mqtt5', topic }) as const;

describe('ReplyPublisher refusals under load', () => {
  it('answers a caller a burst of refusals, at QoS 0, whatever topics it names, and counts the rest as not sent', async () => {
    const { replies, published } = publisher(5);
    const sent: boolean[] = [];
    for (let i = 0; i < 30; i++) {
      sent.push((await replies.send(to(`replies/ada/${i}`), overloaded(), 'ada', 1, 'r')).sent);
    }
    // Bursts of twice the rate; the rest are neither sent nor dropped: refused unanswered.
    expect(sent.filter(Boolean)).toHaveLength(10);
    expect(published.every((p) => p.qos === 0)).toBe(true);
    // A success is never limited.
    const ok = await replies.send(
      to('replies/ada/ok'),
      { status: 'success' } as Reply,
      'ada',
      1,
      'r',
    );
    expect(ok).toEqual({ sent: true });
    expect(published.at(-1)).toEqual({ topic: 'replies/ada/ok', qos: 1 });
  });

  it('cannot be spent by anyone else: not by another caller, not by an anonymous one aiming at the same reply space', async () => {
    const { replies } = publisher(5);
    for (let i = 0; i < 50; i++) {
      await replies.send(to(`replies/ada/${i}`), overloaded(), 'eve', 1, 'r');
      await replies.send(to(`replies/ada/x${i}`), overloaded(), undefined, 1, 'r');
    }
    const ada = await replies.send(to('replies/ada/1'), overloaded(), 'ada', 1, 'r');
    expect(ada).toEqual({ sent: true });
  });
});
