interface Closable {
  close(): Promise<void>;
}

interface Log {
  log(message: string): void;
  error(message: string): void;
}

/**
 * On SIGTERM or SIGINT: close the app (its shutdown hooks drain, deregister, flush and
 * disconnect), then exit 0; exit 1 if closing failed. A second signal exits at once.
 */
export function exitCleanlyOnSignals(
  app: Closable,
  log: Log,
  signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'],
): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) process.exit(1);
    closing = true;
    log.log(`${signal}: shutting down`);
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
