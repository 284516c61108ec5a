// The stub upstream both targets call: GET /users answers a small JSON list.
import { createServer } from 'node:http';

const body = JSON.stringify({
  users: [{ user_id: 'usr_1', name: 'Ada', email: 'ada@example.com' }],
  count: 1,
});
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
