import type { INestApplication } from '@nestjs/common';

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
  try {
    await app.listen(port, host);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    process.stderr.write(`${portInUseMessage(name, port, host)}\n`);
    process.exit(78);
  }
}
