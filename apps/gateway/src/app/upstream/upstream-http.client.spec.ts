import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UpstreamHttpClient } from './upstream-http.client';

describe('UpstreamHttpClient with an answer larger than it may pass on', () => {
  let server: Server;
  let origin: string;
  const client = new UpstreamHttpClient(10_000);

  beforeAll(async () => {
    server = createServer((req, res) => {
      const body = JSON.stringify({ blob: 'x'.repeat(50_000) });
      // With its length declared, and without (chunked): both are abandoned as they come.
      if (req.url === '/declared') res.setHeader('content-length', Buffer.byteLength(body));
      else res.write(body.slice(0, 20_000));
      res.end(req.url === '/declared' ? body : body.slice(20_000));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await client.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('refuses it as too_large and goes on working, with no error left unhandled', async () => {
    const unhandled: unknown[] = [];
    const record = (error: unknown) => unhandled.push(error);
    process.on('uncaughtException', record);
    try {
      for (const path of ['/declared', '/chunked']) {
        await expect(
          client.request({ origin, path, method: 'GET', headers: {}, timeoutMs: 5000 }),
        ).rejects.toMatchObject({ reason: 'too_large' });
      }
      // Whatever the abandoned bodies emit comes within a few turns of the event loop.
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('uncaughtException', record);
    }
    expect(unhandled).toEqual([]);
  });
});
