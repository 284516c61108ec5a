import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RoundRobinBalancer } from '@mqgw/balancing';
import { InstanceDirectory, parseStaticServices } from '@mqgw/discovery';
import { InMemoryServiceRegistry } from '@mqgw/discovery/testing';
import { readGatewayConfig } from '../config/gateway.config';
import { compileRoutes } from '../routes/route-compiler';
import { RouteMatcher } from '../routes/route-matcher';
import { ROUTES } from '../routes/route-table';
import { GatewayRequest } from '../transport/gateway-request';
import { UpstreamHttpClient } from './upstream-http.client';
import { UpstreamService } from './upstream.service';

/**
 * A service that closes a keep-alive connection as the next request on it arrives: what a
 * client meets when the service's idle timeout fires just as it reuses a pooled socket.
 */
async function closingService(): Promise<{ server: Server; url: string; seen: string[] }> {
  const seen: string[] = [];
  const perSocket = new WeakMap<object, number>();
  const server = createServer((req, res) => {
    const n = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, n);
    seen.push(`${req.method} ${req.url}`);
    if (n > 1) {
      req.socket.destroy();
      return;
    }
    req.resume();
    res.setHeader('content-type', 'application/json');
    res.end('{"ok":true}');
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe('UpstreamService on a pooled connection the service has closed', () => {
  let service: Awaited<ReturnType<typeof closingService>>;
  let http: UpstreamHttpClient;
  let upstream: UpstreamService;
  const matcher = new RouteMatcher(compileRoutes(ROUTES));
  const request = (topic: string) => {
    const match = matcher.match(topic)!;
    return new GatewayRequest('r', topic, match.route, match.params, {}, performance.now());
  };

  beforeEach(async () => {
    service = await closingService();
    const config = readGatewayConfig({ JWT_SECRET: 'x'.repeat(32) });
    const directory = new InstanceDirectory(new InMemoryServiceRegistry(), {
      refreshMs: 60_000,
      staticInstances: parseStaticServices(`user-service=${service.url}`),
    });
    http = new UpstreamHttpClient();
    upstream = new UpstreamService(directory, new RoundRobinBalancer(), http, config);
  });
  afterEach(async () => {
    http.close();
    service.server.closeAllConnections();
    await new Promise((resolve) => service.server.close(resolve));
  });

  it('retries an idempotent call once over a new connection, even with one instance', async () => {
    await upstream.forward(request('api/v1/users/get/1'), {});
    const reply = await upstream.forward(request('api/v1/users/get/2'), {});
    expect(reply.status).toBe('success');
    expect(service.seen).toEqual(['GET /users/1', 'GET /users/2', 'GET /users/2']);
  });

  it('does not retry a POST without an idempotency key: it may have been processed', async () => {
    await upstream.forward(request('api/v1/users/create'), { name: 'a' });
    await expect(
      upstream.forward(request('api/v1/users/create'), { name: 'b' }),
    ).rejects.toMatchObject({ code: 'UPSTREAM_ERROR' });
    expect(service.seen).toEqual(['POST /users', 'POST /users']);
  });
});
