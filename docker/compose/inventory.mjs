// A stand-in for a service of your own: GET /items/{sku} and GET /health, on port 8080.
import { createServer } from 'node:http';

createServer((request, response) => {
  const item = /^\/items\/([\w-]{1,64})$/.exec(request.url ?? '');
  const [status, body] =
    request.url === '/health'
      ? [200, { status: 'ok' }]
      : item && request.method === 'GET'
        ? [200, { sku: item[1], in_stock: 3 }]
        : [404, { error: 'not found' }];
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}).listen(8080, '0.0.0.0');
