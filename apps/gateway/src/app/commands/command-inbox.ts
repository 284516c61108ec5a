import type { CommandOutcome } from '@mqgw/contracts';
import { COMMAND_ID, PROTOCOL_PROPERTY, parseDeviceTopic } from '@mqgw/contracts';
import type { PrometheusMetrics } from '../observability/prometheus.metrics';
import type { AnswerBus } from './answer.bus';
import type { InboundMessage } from './command.connection';
import type { CommandStore } from './command.store';
import { answerOf } from './command.wire';
import type { CommandsConfig } from './commands.config';
import type { DevicePresence } from './device-presence';

/**
 * What comes back from devices: their status (presence), and their answers, which are
 * checked against the command's record (its device, its name, the first answer only), kept,
 * and handed to the HTTP call waiting for them, here or, through the answer bus, on the
 * instance that holds it. Anything that does not fit is dropped and counted.
 */
export class CommandInbox {
  private readonly waiting = new Map<string, (outcome: CommandOutcome) => void>();

  constructor(
    private readonly config: CommandsConfig,
    private readonly store: CommandStore,
    private readonly presence: DevicePresence,
    private readonly bus: AnswerBus,
    /** This gateway instance, as command records name their owner. */
    private readonly instance: string,
    private readonly metrics: PrometheusMetrics,
  ) {}

  /** No call waits for `id` any longer (its command never went out). */
  forget(id: string): void {
    this.waiting.delete(id);
  }

  /** Ends every wait with an error: the gateway is shutting down. */
  cancelAll(): void {
    for (const [id, settle] of this.waiting) {
      this.waiting.delete(id);
      settle({ ok: false, error: { code: 'SHUTDOWN', message: 'the gateway is shutting down' } });
    }
  }

  /** Resolves with the answer, or undefined after `timeoutMs`. */
  wait(id: string, timeoutMs: number): Promise<CommandOutcome | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(undefined);
      }, timeoutMs);
      this.waiting.set(id, (outcome) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(outcome);
      });
    });
  }

  settle(id: string, outcome: CommandOutcome): void {
    this.waiting.get(id)?.(outcome);
  }

  /** A message on a device status or command-replies topic. */
  async receive(message: InboundMessage): Promise<void> {
    const prefix = this.config.prefix as string;
    const topic = parseDeviceTopic(prefix, message.topic);
    if (topic?.kind === 'status') {
      const protocol = message.userProperties[PROTOCOL_PROPERTY] === '5' ? 5 : 4;
      this.presence.update(topic.device, message.payload.toString('utf8').trim(), protocol);
      this.metrics.devicesOnline.set(this.presence.onlineCount);
      return;
    }
    if (topic?.kind !== 'command-replies') return this.drop('invalid');
    const answer = answerOf(message);
    const id = answer.id;
    let outcome = answer.outcome;
    if (!outcome) return this.drop('invalid');
    const record = COMMAND_ID.test(id) ? await this.store.get(id) : null;
    if (!record) return this.drop('unknown_id');
    if (record.device !== topic.device) return this.drop('wrong_device');
    if (record.name !== topic.name) return this.drop('wrong_command');
    if (message.payload.length > this.config.maxBytes) {
      outcome = {
        ok: false,
        error: {
          code: 'ANSWER_TOO_LARGE',
          message: `the device's answer is over ${this.config.maxBytes} bytes`,
        },
      };
    }
    const first = await this.store.answer(record, { outcome, answered_at: Date.now() });
    if (!first) return this.drop('duplicate');
    if (record.mode !== 'wait') return;
    if (record.owner === this.instance) {
      this.metrics.commandAnswers.inc({ delivered: 'local' });
      this.settle(record.id, outcome);
      return;
    }
    this.metrics.commandAnswers.inc({ delivered: 'forwarded' });
    await this.bus.send(record.owner, { id: record.id, outcome });
  }

  private drop(reason: string): void {
    this.metrics.droppedCommandAnswers.inc({ reason });
  }
}
