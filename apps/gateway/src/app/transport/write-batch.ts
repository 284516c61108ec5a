import type { MqttClient } from 'mqtt';

interface Corkable {
  cork(): void;
  uncork(): void;
  destroyed?: boolean;
}

/**
 * Batches what the gateway writes to the broker within one turn of the event loop into one
 * socket write. mqtt.js handles each received packet in its own tick and flushes each
 * packet it sends (a PUBACK per QoS 1 request, a reply) with its own `writev`; under load
 * those system calls cost more than the packets. `hold()` corks the socket until the
 * event loop's check phase (`setImmediate`), after the batch of packets being read and
 * the replies they produced, so a write waits at most for the work already in hand.
 */
export class WriteBatch {
  private held?: Corkable;

  constructor(private readonly client: () => MqttClient | undefined) {}

  hold(): void {
    if (this.held) return;
    const stream = this.client()?.stream as unknown as Partial<Corkable> | undefined;
    if (!stream?.cork || !stream.uncork || stream.destroyed) return;
    const held = stream as Corkable;
    this.held = held;
    held.cork();
    setImmediate(() => {
      this.held = undefined;
      held.uncork();
    });
  }
}
