import { freePort, spawnLogged, waitFor, type ManagedProcess } from './processes';
import { Redis } from 'ioredis';

/** A private redis-server, for tests that take Redis away and bring it back. */
export class PrivateRedis {
  private process?: ManagedProcess;

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(name: string): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.restart(name);
    return redis;
  }

  async restart(name = `redis-${this.port}`): Promise<void> {
    this.process = spawnLogged(
      name,
      process.env['REDIS_SERVER_BIN'] ?? 'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {},
    );
    await waitFor(`redis-server on ${this.port}`, async () => {
      const probe = new Redis(this.url, {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG';
      } finally {
        probe.disconnect();
      }
    });
  }

  async stop(): Promise<void> {
    await this.process?.stop('SIGKILL');
  }
}
