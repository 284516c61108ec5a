import { portFree } from '@mqgw/mosquitto';
import { freePort, httpOk, spawnLogged, waitFor, type ManagedProcess } from './support/processes';
import { scrape, total } from './support/prometheus';
import { Stack, mainOf } from './support/stack';
import { TestUpstream } from './support/test-upstream';

type Data = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function portPair(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + 1 < 65536 && (await portFree(port + 1))) return port;
  }
}

/** GATEWAY_WORKERS: one gateway process group using several cores. */
describe('GATEWAY_WORKERS=2', () => {
  let stack: Stack;
  let upstream: TestUpstream;
  let gateway: ManagedProcess;
  let httpPort: number;

  beforeAll(async () => {
    upstream = await TestUpstream.start((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(`{"pid":${process.pid}}`);
    });
    stack = await Stack.start({ name: 'workers', noServices: true, gateways: 0 });
    httpPort = await portPair();
    gateway = spawnLogged('workers-gateway', process.execPath, [mainOf('gateway')], {
      ...stack.gatewayEnv(0, { SERVICES: `user-service=${upstream.url}`, GATEWAY_WORKERS: '2' }),
      HTTP_PORT: String(httpPort),
    });
    for (const port of [httpPort, httpPort + 1]) {
      await waitFor(
        `worker on ${port}`,
        () => httpOk(`http://127.0.0.1:${port}/health/ready`),
        30_000,
        () => (gateway.running ? undefined : `the gateway exited; see ${gateway.logFile}`),
      );
    }
  });
  afterAll(async () => {
    await gateway?.stop();
    await stack?.stop();
    await upstream?.stop();
  });

  it('splits requests between the workers, each answering on its own port', async () => {
    const client = await stack.requester();
    const headers = { authorization: await stack.bearer('w') };
    const replies = await Promise.all(
      Array.from({ length: 60 }, () =>
        client.request<Data>('api/v1/users/list', {}, { headers }).then((r) => r.body),
      ),
    );
    expect(replies.every((r) => r['status'] === 'success')).toBe(true);
    const served = await Promise.all(
      [httpPort, httpPort + 1].map(async (port) =>
        total(await scrape(`http://127.0.0.1:${port}`), 'mqgw_requests_total'),
      ),
    );
    expect(served.every((n) => n > 0)).toBe(true);
    expect(served[0] + served[1]).toBe(60);
  });

  it('drains both workers and exits 0 on SIGTERM', async () => {
    expect(await gateway.stop('SIGTERM', 15_000)).toBe(0);
    expect(await portFree(httpPort)).toBe(true);
    expect(await portFree(httpPort + 1)).toBe(true);
  });
});
