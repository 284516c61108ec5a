import { connect, createServer } from 'node:net';

export const REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
export const MQTT_URL = process.env['TEST_MQTT_URL'] ?? 'mqtt://127.0.0.1:1883';

/**
 * Fails (never skips) when a backing service is unreachable, so a test run cannot pass
 * without the real Redis and Mosquitto.
 */
export async function requireService(url: string, timeoutMs = 2000): Promise<void> {
  const { hostname, port } = new URL(url);
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    const fail = (why: string) => {
      socket.destroy();
      reject(
        new Error(
          `${url} is unreachable (${why}). Tests need the real service; start it (see README "Tests").`,
        ),
      );
    };
    socket.once('timeout', () => fail('timeout'));
    socket.once('error', (error) => fail(error.message));
  });
}

/** A prefix that keeps one test run's Redis keys and MQTT client ids apart from another's. */
export function uniqueTestId(label = 't'): string {
  return `${label}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** A TCP port that was free on 127.0.0.1 a moment ago, for a process the test starts. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
