// The baseline: an MQTT 5 subscriber that calls the upstream over keep-alive HTTP and
// publishes the reply, with TCP_NODELAY on both sides and nothing else.
import http from 'node:http';
import mqtt from 'mqtt';

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const upstream = new URL(process.env.UPSTREAM_URL);
const client = mqtt.connect(process.env.MQTT_URL, {
  protocolVersion: 5,
  clientId: `relay-${process.pid}`,
  clean: true,
});
client.on('connect', () => {
  client.stream.setNoDelay?.(true);
  client.subscribe(process.env.TOPIC, { qos: 1 }, () => process.send?.('ready'));
});
client.on('message', (_topic, _payload, packet) => {
  const { responseTopic, correlationData } = packet.properties ?? {};
  const req = http.request(
    { host: upstream.hostname, port: upstream.port, path: '/users', method: 'GET', agent },
    (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const reply = JSON.stringify({
          status: 'success',
          data: JSON.parse(Buffer.concat(chunks).toString()),
        });
        client.publish(responseTopic, reply, { qos: 1, properties: { correlationData } });
      });
    },
  );
  req.on('socket', (s) => s.setNoDelay(true));
  req.end();
});
process.on('SIGTERM', () => client.end(true, () => process.exit(0)));
