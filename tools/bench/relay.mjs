// The baseline: an MQTT 5 subscriber that calls the upstream over keep-alive HTTP and
// publishes the reply, with TCP_NODELAY on both sides and nothing else.
import http from 'node:http';
import mqtt from 'mqtt';

const { MQTT_URL: mqttUrl, UPSTREAM_URL: upstreamUrl, TOPIC: topic } = process.env;
if (!mqttUrl || !upstreamUrl || !topic)
  throw new Error('relay.mjs needs MQTT_URL, UPSTREAM_URL and TOPIC');
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const upstream = new URL(upstreamUrl);
const client = mqtt.connect(mqttUrl, {
  protocolVersion: 5,
  clientId: `relay-${process.pid}`,
  clean: true,
});
client.on('connect', () => {
  /** @type {{ setNoDelay?: (on: boolean) => void }} */ (
    /** @type {unknown} */ (client.stream)
  ).setNoDelay?.(true);
  client.subscribe(topic, { qos: 1 }, () => process.send?.('ready'));
});
client.on('message', (_topic, _payload, packet) => {
  const { responseTopic, correlationData } = packet.properties ?? {};
  const req = http.request(
    { host: upstream.hostname, port: upstream.port, path: '/users', method: 'GET', agent },
    (res) => {
      /** @type {Buffer[]} */
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const reply = JSON.stringify({
          status: 'success',
          data: JSON.parse(Buffer.concat(chunks).toString()),
        });
        client.publish(/** @type {string} */ (responseTopic), reply, {
          qos: 1,
          properties: { correlationData },
        });
      });
    },
  );
  req.on('socket', (s) => s.setNoDelay(true));
  req.end();
});
process.on('SIGTERM', () => client.end(true, () => process.exit(0)));
