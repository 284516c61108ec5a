// A local OTLP/HTTP traces endpoint for the bench: reads each export and answers 200 with
// an empty ExportTraceServiceResponse (zero bytes in protobuf), as a collector would, so the
// gateway pays the whole cost of exporting (serialising, sending) and none of a slow one.
import { createServer } from 'node:http';

let exports = 0;
let bytes = 0;
const server = createServer((req, res) => {
  req.on('data', (chunk) => (bytes += chunk.length));
  req.on('end', () => {
    exports++;
    res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 });
    res.end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
process.on('message', () => process.send?.({ exports, bytes }));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
