import mqtt from 'mqtt';
import { MqttRequester } from './mqtt-requester';
const MQTT_URL = process.env['TEST_MQTT_URL'] ?? 'mqtt://127.0.0.1:1883';
const uniqueTestId = (label: string) =>
  `${label}-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;

describe('MqttRequester (real Mosquitto)', () => {
  it('matches replies to requests by correlation data', async () => {
    const topic = `${uniqueTestId('echo')}/req`;
    const responder = await mqtt.connectAsync(MQTT_URL, {
      protocolVersion: 5,
      clientId: uniqueTestId('responder'),
    });
    responder.on('message', (_t, payload, packet) => {
      const { responseTopic, correlationData } = packet.properties ?? {};
      void responder.publishAsync(
        responseTopic!,
        JSON.stringify({ echo: JSON.parse(payload.toString()) }),
        {
          qos: 1,
          properties: { correlationData },
        },
      );
    });
    await responder.subscribeAsync(topic, { qos: 1 });
    const requester = await MqttRequester.connect(MQTT_URL, { clientId: uniqueTestId('req') });
    try {
      const [a, b] = await Promise.all([
        requester.request(topic, { n: 1 }),
        requester.request(topic, { n: 2 }),
      ]);
      expect(a.body).toEqual({ echo: { n: 1 } });
      expect(b.body).toEqual({ echo: { n: 2 } });
      await expect(requester.request(`${topic}-nobody`, {}, { timeoutMs: 200 })).rejects.toThrow(
        'no reply',
      );
    } finally {
      await requester.close();
      await responder.endAsync();
    }
  });
});
