import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RoundRobinBalancer } from '@mqgw/balancing';
import { InstanceDirectory, parseStaticServices } from '@mqgw/discovery';
import { InMemoryServiceRegistry } from '@mqgw/discovery/testing';
import { readGatewayConfig } from '../gateway.config';
import { RouteMatcher, defaultRoutesFile, loadRoutesFile } from '@mqgw/routes';
import { GatewayRequest } from '../request/gateway-request';
import { UpstreamHttpClient } from './upstream-http.client';
import { UpstreamService } from './upstream.service';
import { ReplyContract } from './reply-contract';
import { ContractViolations } from '../observability/contract-violations';
import { PrometheusMetrics } from '../observability/prometheus.metrics';
import { RequestRecorder } from '../observability/request-recorder';
import { InMemoryKvStore } from '@mqgw/store';

/**
 * A service that, once, closes a keep-alive connection as the next request on it arrives:
 * what a client meets when the service's idle timeout fires just as it reuses a pooled
 * socket.
 */
async function closingService(): Promise<{ server: Server; url: string; seen: string[] }> {
  const seen: string[] = [];
  const perSocket = new WeakMap<object, number>();
  let closedOne = false;
  const server = createServer((req, res) => {
    const n = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, n);
    seen.push(`${req.method} ${req.url}`);
    if (n > 1 && !closedOne) {
      closedOne = true;
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
  const matcher = new RouteMatcher(loadRoutesFile(defaultRoutesFile()).routes);
  const request = (topic: string) => {
    const match = matcher.match(topic)!;
    return new GatewayRequest('r', topic, match.route, match.params, {}, performance.now(), {
      body: { value: {} },
    });
  };

  const metrics = new PrometheusMetrics();

  beforeEach(async () => {
    service = await closingService();
    const config = readGatewayConfig({ JWT_SECRET: 'x'.repeat(32) });
    const directory = new InstanceDirectory(new InMemoryServiceRegistry(), {
      refreshMs: 60_000,
      staticInstances: parseStaticServices(`user-service=${service.url}`),
    });
    http = new UpstreamHttpClient(config.upstream.maxResponseBytes);
    const recorder = new RequestRecorder(new InMemoryKvStore(), config.observability, metrics);
    upstream = new UpstreamService(
      directory,
      new RoundRobinBalancer(),
      http,
      config.upstream,
      new ReplyContract(new ContractViolations(recorder, metrics)),
    );
  });
  afterEach(async () => {
    await http.close();
    service.server.closeAllConnections();
    await new Promise((resolve) => service.server.close(resolve));
  });

  // The client pools connections as it sees fit; over a few calls in a row it reuses one,
  // and the service closes that one as the call arrives.
  it('retries an idempotent call once over a new connection, even with one instance', async () => {
    for (let i = 1; i <= 6; i++) {
      const reply = await upstream.forward(request(`api/v1/users/get/${i}`), 'user-service', {});
      expect(reply.status).toBe('success');
    }
    const paths = service.seen.filter((s) => s.startsWith('GET'));
    expect(new Set(paths).size).toBe(6);
    expect(paths).toHaveLength(7);
  });

  it('does not retry a POST without an idempotency key: it may have been processed', async () => {
    const outcomes: string[] = [];
    for (let i = 1; i <= 6; i++) {
      await upstream
        .forward(request('api/v1/users/create'), 'user-service', { name: `n${i}` })
        .then(
          () => outcomes.push('success'),
          (error: { code: string }) => outcomes.push(error.code),
        );
    }
    expect(outcomes.filter((o) => o !== 'success')).toEqual(['UPSTREAM_ERROR']);
    // Every POST reached the service at most once.
    expect(service.seen.filter((s) => s === 'POST /users')).toHaveLength(6);
  });
});
