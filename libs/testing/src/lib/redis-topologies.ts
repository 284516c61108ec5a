import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from 'ioredis';
import { freePort } from './services';

export interface TestRedisCluster {
  nodes: { host: string; port: number }[];
  /** A new ioredis `Cluster` connection to it. */
  connect(): Cluster;
  stop(): Promise<void>;
}

/**
 * A real three-master Redis Cluster on private loopback ports, from the same `redis-server`
 * binary the tests use (with `redis-cli` from its package). Fails, never skips, when
 * either is missing.
 */
export async function startRedisCluster(): Promise<TestRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'mqgw-cluster-'));
  const ports = [await freePort(), await freePort(), await freePort()];
  // The cluster bus would default to port + 10000, which may be taken or past 65535: each
  // node gets a free port of its own for it.
  const busPorts = [await freePort(), await freePort(), await freePort()];
  const children: ChildProcess[] = ports.map((port, i) =>
    spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--cluster-port',
        String(busPorts[i]),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, `nodes-${port}.conf`),
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
      ],
      { stdio: 'ignore' },
    ),
  );
  const stop = async () => {
    for (const child of children) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const cli = (args: string[]) =>
      spawnSync('redis-cli', args, { encoding: 'utf8', timeout: 20_000 });
    for (const port of ports) {
      for (let i = 0; cli(['-p', String(port), 'ping']).stdout.trim() !== 'PONG'; i++) {
        if (i > 100) throw new Error(`redis-server on ${port} did not start`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const created = cli([
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    if (created.status !== 0)
      throw new Error(`redis-cli --cluster create failed: ${created.stderr}`);
    for (
      let i = 0;
      !cli(['-p', String(ports[0]), 'cluster', 'info']).stdout.includes('cluster_state:ok');
      i++
    ) {
      if (i > 100) throw new Error('the Redis Cluster did not become ready');
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const nodes = ports.map((port) => ({ host: '127.0.0.1', port }));
  return {
    nodes,
    connect: () => new Cluster(nodes, { enableAutoPipelining: true }),
    stop,
  };
}

export interface TestRedisSentinel {
  sentinels: { host: string; port: number }[];
  name: string;
  stop(): Promise<void>;
}

/** A real Redis master watched by one Sentinel, both on private loopback ports. */
export async function startRedisSentinel(name = 'mqgw'): Promise<TestRedisSentinel> {
  const dir = mkdtempSync(join(tmpdir(), 'mqgw-sentinel-'));
  const masterPort = await freePort();
  const sentinelPort = await freePort();
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    [
      `port ${sentinelPort}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${name} 127.0.0.1 ${masterPort} 1`,
      '',
    ].join('\n'),
  );
  const children = [
    spawn(
      'redis-server',
      ['--port', String(masterPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    ),
    spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' }),
  ];
  const stop = async () => {
    for (const child of children) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  const cli = (args: string[]) => spawnSync('redis-cli', args, { encoding: 'utf8', timeout: 5000 });
  for (
    let i = 0;
    !cli(['-p', String(sentinelPort), 'sentinel', 'get-master-addr-by-name', name]).stdout.includes(
      String(masterPort),
    );
    i++
  ) {
    if (i > 100) {
      await stop();
      throw new Error('the Redis Sentinel did not come up');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { sentinels: [{ host: '127.0.0.1', port: sentinelPort }], name, stop };
}
