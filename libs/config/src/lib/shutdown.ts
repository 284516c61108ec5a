interface Closable {
  close(): Promise<void>;
}

interface Log {
  log(message: string): void;
  error(message: string): void;
}

export interface ShutdownOptions {
  signals?: NodeJS.Signals[];
  /**
   * Exit 1 this long after the signal whatever is still running (a broker or Redis gone
   * mid-shutdown, a service that hangs): the bound on how long a stop can take.
   */
  hardLimitMs?: number;
}

/**
 * On SIGTERM or SIGINT: close the app (its shutdown hooks drain, deregister, flush and
 * disconnect), then exit 0; exit 1 if closing failed or outlasted `hardLimitMs`. A second
 * signal exits at once.
 */
export function exitCleanlyOnSignals(
  app: Closable,
  log: Log,
  { signals = ['SIGTERM', 'SIGINT'], hardLimitMs }: ShutdownOptions = {},
): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) process.exit(1);
    closing = true;
    log.log(`${signal}: shutting down`);
    if (hardLimitMs !== undefined) {
      setTimeout(() => {
        log.error(`shutdown still running after ${hardLimitMs} ms: exiting now`);
        process.exit(1);
      }, hardLimitMs).unref();
    }
    app.close().then(
      () => process.exit(0),
      (error: Error) => {
        log.error(`shutdown failed: ${error.message}`);
        process.exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, onSignal);
}
