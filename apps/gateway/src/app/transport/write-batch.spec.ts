import type { MqttClient } from 'mqtt';
import { WriteBatch } from './write-batch';

describe('WriteBatch', () => {
  it('corks the socket once per turn of the event loop and uncorks it in the check phase', async () => {
    const calls: string[] = [];
    const stream = { cork: () => calls.push('cork'), uncork: () => calls.push('uncork') };
    const batch = new WriteBatch(() => ({ stream }) as unknown as MqttClient);
    batch.hold();
    batch.hold();
    await Promise.resolve();
    batch.hold();
    expect(calls).toEqual(['cork']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual(['cork', 'uncork']);
    batch.hold();
    expect(calls).toEqual(['cork', 'uncork', 'cork']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual(['cork', 'uncork', 'cork', 'uncork']);
  });

  it('leaves a destroyed or absent socket alone', () => {
    const calls: string[] = [];
    const stream = { cork: () => calls.push('cork'), uncork: () => calls.push('uncork') };
    new WriteBatch(
      () => ({ stream: { ...stream, destroyed: true } }) as unknown as MqttClient,
    ).hold();
    new WriteBatch(() => undefined).hold();
    expect(calls).toEqual([]);
  });
});
