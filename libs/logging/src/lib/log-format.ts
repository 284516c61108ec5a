import type { DestinationStream } from 'pino';
import pretty from 'pino-pretty';

/** LOG_FORMAT values: one JSON object per line, or one readable, coloured line per event. */
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Where the process runs, as far as the log format cares. */
export interface LogSurroundings {
  /** stdout is a terminal. */
  tty: boolean;
  /** NODE_ENV=production. */
  production: boolean;
  /** A CI system runs it (`CI` set, and not `false` or `0`). */
  ci: boolean;
}

/**
 * LOG_FORMAT when it is set; otherwise pretty for a person at a terminal, and JSON for
 * everything that reads logs as data: production, CI, a pipe, a file, a log shipper.
 */
export function chooseLogFormat(asked: LogFormat | undefined, where: LogSurroundings): LogFormat {
  if (asked) return asked;
  return where.tty && !where.production && !where.ci ? 'pretty' : 'json';
}

/** Whether a `CI` variable's value says "in CI", as CI systems set it. */
export function isCi(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== 'false' && value !== '0';
}

/**
 * The pretty format: `12:00:01.234 WARN [Auth] refused (token expired) on api/v1/x
 * {"request_id":"…"}`, coloured, one line per event; a `routes` array (the route table at
 * startup and reload) follows its message as a table, one indented line each. It formats the JSON line pino has
 * already written, after its hooks, so credentials are masked and texts clipped the same.
 * Synchronous on stdout, like the JSON format, so that nothing is lost at exit.
 */
export function prettyDestination(destination?: DestinationStream): DestinationStream {
  return pretty({
    colorize: true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,app,context,routes',
    messageFormat: (log, messageKey) => {
      const context = typeof log['context'] === 'string' ? `[${log['context']}] ` : '';
      const rows = Array.isArray(log['routes']) ? log['routes'] : [];
      return `${context}${String(log[messageKey] ?? '')}${rows.map((row) => `\n    ${String(row)}`).join('')}`;
    },
    sync: true,
    destination: destination ?? 1,
  });
}
