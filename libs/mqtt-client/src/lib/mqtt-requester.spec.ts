import { createServer, type AddressInfo, type Server } from 'node:net';
import mqtt from 'mqtt';
import { DeviceRequester } from './device-requester';
import { SimulatedDevice } from './simulated-device';
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

  describe('against a port that accepts and closes (a proxy before its broker is up)', () => {
    let server: Server;
    let url: string;
    beforeAll(async () => {
      server = createServer((socket) => socket.destroy());
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('fails to connect instead of waiting forever', async () => {
      await expect(MqttRequester.connect(url)).rejects.toThrow("Couldn't connect");
      await expect(
        DeviceRequester.connect(url, { prefix: 'things', username: 'sensor-1' }),
      ).rejects.toThrow("Couldn't connect");
      await expect(
        SimulatedDevice.connect(url, { prefix: 'things', username: 'sensor-1' }),
      ).rejects.toThrow("Couldn't connect");
    });
  });
});
