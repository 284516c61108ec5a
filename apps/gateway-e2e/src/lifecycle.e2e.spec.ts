import { spawnLogged } from './support/processes';
import { Stack, mainOf } from './support/stack';
import { TestUpstream } from './support/test-upstream';

type Data = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('graceful shutdown under load', () => {
  let stack: Stack;
  let upstream: TestUpstream;
  beforeAll(async () => {
    upstream = await TestUpstream.start((_req, res) => {
      setTimeout(() => {
        res.setHeader('content-type', 'application/json');
        res.end('{"ok":true}');
      }, 30);
    });
    stack = await Stack.start({
      name: 'drain',
      noServices: true,
      gateways: 2,
      gatewayEnv: { SHARED_SUBSCRIPTION_GROUP: 'drain', SERVICES: `user-service=${upstream.url}` },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await upstream?.stop();
  });

  it('answers every request exactly once when one of two instances gets SIGTERM mid-load', async () => {
    const client = await stack.requester();
    const headers = { authorization: await stack.bearer('load') };
    const pending: Promise<Data>[] = [];
    let stopped: Promise<number | null> | undefined;
    for (let i = 0; i < 300; i++) {
      pending.push(
        client
          .request<Data>('api/v1/users/list', {}, { headers, timeoutMs: 20_000 })
          .then((r) => r.body),
      );
      if (i === 100) stopped = stack.gateways[0].process.stop('SIGTERM');
      await sleep(3);
    }
    const replies = await Promise.all(pending);
    expect(await stopped).toBe(0);
    expect(replies.filter((r) => r['status'] === 'success')).toHaveLength(300);
    await sleep(200);
    const ours = client.received.filter((r) => r.topic.startsWith(client.replyPrefix));
    expect(ours).toHaveLength(300);
    expect(new Set(ours.map((r) => r.packet.properties?.correlationData?.toString())).size).toBe(
      300,
    );
  });
});

describe('configuration errors', () => {
  it('stops the gateway with one line naming the variable and exit code 78', async () => {
    const proc = spawnLogged('bad-env-gateway', process.execPath, [mainOf('gateway')], {
      HTTP_PORT: 'eighty',
      JWT_SECRET: 'x'.repeat(32),
    });
    expect(await proc.waitForExit()).toBe(78);
    const { readFileSync } = await import('node:fs');
    await sleep(50);
    expect(readFileSync(proc.logFile, 'utf8')).toBe(
      'config error: Invalid HTTP_PORT: expected an integer from 0 to 65535, got "eighty"\n',
    );
  });
});
