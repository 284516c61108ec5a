import cluster from 'node:cluster';
import type { GatewayConfig } from './app/gateway.config';

const WORKER_FLAG = '--gateway-worker=';

/** This process's worker index when it is one of `GATEWAY_WORKERS`, else undefined. */
export function workerIndex(argv: readonly string[] = process.argv): number | undefined {
  const flag = argv.find((arg) => arg.startsWith(WORKER_FLAG));
  return flag === undefined ? undefined : Number(flag.slice(WORKER_FLAG.length));
}

/**
 * A worker is one more member of the shared subscription: its own MQTT client id and its
 * own HTTP port (`HTTP_PORT + index`), everything else shared through Redis and the broker.
 */
export function asWorker(config: GatewayConfig, index: number): GatewayConfig {
  return {
    ...config,
    transport: { ...config.transport, clientId: `${config.transport.clientId}-w${index}` },
    operations: { ...config.operations, httpPort: config.operations.httpPort + index },
  };
}

/**
 * The primary of `GATEWAY_WORKERS` processes: forks them, starts a worker again when one
 * dies (after a second, so a crash loop cannot spin), passes SIGTERM and SIGINT on, and
 * exits once every worker has, with 0 when all of them drained cleanly.
 */
export function runPrimary(workers: number, log: (line: string) => void): void {
  let stopping = false;
  let failed = false;
  const fork = (index: number) => {
    cluster.setupPrimary({ args: [...process.argv.slice(2), `${WORKER_FLAG}${index}`] });
    const worker = cluster.fork();
    worker.on('exit', (code, signal) => {
      if (stopping) {
        if (code !== 0) failed = true;
        if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(failed ? 1 : 0);
        return;
      }
      log(`worker ${index} exited (${signal ?? code}); starting it again`);
      setTimeout(() => fork(index), 1000);
    });
  };
  for (let i = 0; i < workers; i++) fork(i);
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping ${workers} workers`);
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Each worker reloads the routes file itself.
  process.on('SIGHUP', () => {
    log('SIGHUP: reloading routes in every worker');
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGHUP');
  });
}

export const isPrimaryOfWorkers = (workers: number) => workers > 1 && cluster.isPrimary;
