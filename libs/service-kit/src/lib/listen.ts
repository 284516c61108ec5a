import type { INestApplication } from '@nestjs/common';
import { createServer } from 'node:net';

/** The variable `npm start` (tools/scripts/stack.mjs) sets a service's PORT from. */
export function stackPortVariable(name: string): string {
  return `${name.split('-')[0].toUpperCase()}_SERVICE_PORT`;
}

/** The one line a taken port gives instead of a stack trace. */
export function portInUseMessage(name: string, port: number, host: string): string {
  return (
    `config error: PORT ${port} is already in use on ${host} (is another ${name} running?): ` +
    `choose another PORT (under npm start: ${stackPortVariable(name)})`
  );
}

/**
 * Listens on `port`; a port already in use stops the process with one line naming the
 * variable to change, and exit code 78, as a bad setting does.
 */
export async function listenOrExit(
  app: INestApplication,
  name: string,
  port: number,
  host: string,
): Promise<void> {
  // Asked first: Nest logs a failed listen as an error with the raw EADDRINUSE before it
  // rejects. The catch below still covers a port taken between the two.
  if (port !== 0 && (await inUse(port, host))) exitInUse(name, port, host);
  try {
    await app.listen(port, host);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    exitInUse(name, port, host);
  }
}

function exitInUse(name: string, port: number, host: string): never {
  process.stderr.write(`${portInUseMessage(name, port, host)}\n`);
  process.exit(78);
}

function inUse(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'EADDRINUSE'));
    probe.listen(port, host, () => probe.close(() => resolve(false)));
  });
}
