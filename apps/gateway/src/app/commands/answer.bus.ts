import { EventEmitter } from 'node:events';
import type { CommandOutcome } from '@mqgw/contracts';
import { createRedisClient, type RedisClient, type RedisSettings } from '@mqgw/store';

export interface AnswerMessage {
  id: string;
  outcome: CommandOutcome;
}

/**
 * Carries a device's answer from the instance that received it to the instance that holds
 * the HTTP call. Replicas share only Redis and the broker, and the broker hands each answer
 * to one member of the gateways' shared subscription, which is often not the one waiting.
 */
export interface AnswerBus {
  /** Starts delivering the answers addressed to `owner` to `handler`. */
  listen(owner: string, handler: (message: AnswerMessage) => void): Promise<void>;
  send(owner: string, message: AnswerMessage): Promise<void>;
  close(): Promise<void>;
}

/** One process (the embedded mode): the owner is always this instance. */
export class LocalAnswerBus implements AnswerBus {
  private readonly events = new EventEmitter();

  async listen(owner: string, handler: (message: AnswerMessage) => void): Promise<void> {
    this.events.on(owner, handler);
  }

  async send(owner: string, message: AnswerMessage): Promise<void> {
    this.events.emit(owner, message);
  }

  async close(): Promise<void> {
    this.events.removeAllListeners();
  }
}

/**
 * Redis pub/sub, one channel per instance. Pub/sub loses a message whose owner is gone, which
 * is right here: its HTTP call went with it, and the answer is stored all the same. Works on
 * Redis Cluster, where PUBLISH reaches subscribers on every node.
 */
export class RedisAnswerBus implements AnswerBus {
  private readonly publisher: RedisClient;
  private readonly subscriber: RedisClient;

  constructor(
    settings: RedisSettings,
    private readonly keyPrefix: string,
  ) {
    this.publisher = createRedisClient(settings, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      lazyConnect: true,
    });
    this.subscriber = createRedisClient(settings, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: true,
    });
    // The state module's connection logs Redis errors; these would only repeat them.
    this.publisher.on('error', () => undefined);
    this.subscriber.on('error', () => undefined);
  }

  private channel(owner: string): string {
    return `${this.keyPrefix}commands:answers:${owner}`;
  }

  async listen(owner: string, handler: (message: AnswerMessage) => void): Promise<void> {
    const channel = this.channel(owner);
    this.subscriber.on('message', (from: string, raw: string) => {
      if (from !== channel) return;
      try {
        handler(JSON.parse(raw) as AnswerMessage);
      } catch {
        // Only gateways publish here; a malformed message is ignored rather than fatal.
      }
    });
    await this.subscriber.subscribe(channel);
    await this.publisher.connect().catch(() => undefined);
  }

  async send(owner: string, message: AnswerMessage): Promise<void> {
    await this.publisher.publish(this.channel(owner), JSON.stringify(message));
  }

  async close(): Promise<void> {
    await Promise.allSettled([
      this.subscriber.quit().catch(() => this.subscriber.disconnect()),
      this.publisher.quit().catch(() => this.publisher.disconnect()),
    ]);
  }
}
