import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import { redactUrlCredentials } from '@mqgw/config';
import { clipText } from '@mqgw/contracts';
import { prettyDestination, type LogFormat } from './log-format';

/** LOG_LEVEL values, in Nest's words. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose', 'silent'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

const PINO_LEVEL: Record<LogLevelName, LevelWithSilent> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
  silent: 'silent',
};

/**
 * The longest message or stack a line keeps. Lines quote what clients send (topics, a
 * service's error that echoes a request), so without a cap one request could write a
 * line as large as its payload; a route table printed at startup still fits.
 */
export const MAX_LOG_TEXT_CHARS = 16_384;

/**
 * One JSON object per line on stdout, or with `format` pretty one readable line per event
 * (`chooseLogFormat`); see `forRequest` for lines about one request. Every
 * line is written with the credentials of any URL in it (`mqtt://user:password@…`) masked,
 * whoever logged it: the app, a library, or an error's message or stack; and its message,
 * `msg` and `stack` clipped to `MAX_LOG_TEXT_CHARS`.
 */
export function createLogger(
  app: string,
  level: LogLevelName,
  destination?: DestinationStream,
  format: LogFormat = 'json',
): Logger {
  return pino(
    {
      level: PINO_LEVEL[level],
      base: { app },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      hooks: {
        streamWrite: redactUrlCredentials,
        logMethod(args, method) {
          return method.apply(this, args.map(clipArgument) as typeof args);
        },
      },
    },
    format === 'pretty' ? prettyDestination(destination) : destination,
  );
}

function clipArgument(arg: unknown): unknown {
  if (typeof arg === 'string') return clipText(arg, MAX_LOG_TEXT_CHARS);
  if (typeof arg !== 'object' || arg === null || arg instanceof Error) return arg;
  const fields = arg as Record<string, unknown>;
  const long = (name: string) =>
    typeof fields[name] === 'string' && (fields[name] as string).length > MAX_LOG_TEXT_CHARS;
  if (!long('msg') && !long('stack')) return arg;
  const copy = { ...fields };
  for (const name of ['msg', 'stack'])
    if (long(name)) copy[name] = clipText(copy[name] as string, MAX_LOG_TEXT_CHARS);
  return copy;
}

/** Nest's logger interface on top of pino, so framework and app lines share one format. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(
    level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace',
    message: unknown,
    rest: unknown[],
  ): void {
    // Nest passes the context last; an error's stack may come before it.
    const context =
      typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    const stack = rest.length > 1 && typeof rest[0] === 'string' ? rest[0] : undefined;
    const fields: Record<string, unknown> = {};
    if (context) fields['context'] = context;
    if (stack) fields['stack'] = stack;
    if (message instanceof Error) this.logger[level]({ ...fields, err: message }, message.message);
    else if (typeof message === 'object' && message !== null)
      this.logger[level]({ ...fields, ...message });
    else this.logger[level](fields, String(message));
  }
}
