import type { Identity } from '@mqgw/auth';
import { COMMAND_NAME, GatewayError, allowsCommand } from '@mqgw/contracts';
import type { CommandsConfig } from './commands.config';
import type { DevicePresence, Presence } from './device-presence';

export interface CommandCall {
  caller: Identity;
  device: string;
  name: string;
  body: Buffer;
  /** `timeout_ms` as the caller wrote it. */
  timeoutMs?: string;
  queued: boolean;
  idempotencyKey?: string;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/*
 * What a call must be before anything is stored or sent. Each check throws the
 * `GatewayError` the caller gets, so a refused call costs no round trip to Redis.
 */

/** The device prefix, once the call may be made at all: enabled, plain names, scopes. */
export function permittedPrefix(config: CommandsConfig, call: CommandCall): string {
  const { caller, device, name } = call;
  if (!config.enabled || !config.prefix) {
    throw new GatewayError('NOT_FOUND', 'commands to devices are not enabled on this gateway');
  }
  if (!COMMAND_NAME.test(device) || !COMMAND_NAME.test(name)) {
    throw new GatewayError(
      'BAD_REQUEST',
      'device and command must be plain names (1 to 64 of A-Z a-z 0-9 _ . -)',
    );
  }
  if (!allowsCommand(caller.scopes, device, name)) {
    throw new GatewayError(
      'FORBIDDEN',
      `missing required scope: devices:command (or devices:command:${device}[:${name}])`,
    );
  }
  return config.prefix;
}

/** The command's data: bounded, JSON; and a well-formed `Idempotency-Key` if any. */
export function bodyOf(config: CommandsConfig, call: CommandCall): unknown {
  if (call.body.length > config.maxBytes) {
    throw new GatewayError('PAYLOAD_TOO_LARGE', `the body is over ${config.maxBytes} bytes`);
  }
  const data = parseBody(call.body);
  if (call.idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(call.idempotencyKey)) {
    throw new GatewayError(
      'BAD_REQUEST',
      'Idempotency-Key must be 1 to 255 printable ASCII characters',
    );
  }
  return data;
}

/** `timeout_ms`, capped at the configured maximum; the default when the call names none. */
export function timeoutOf(config: CommandsConfig, raw: string | undefined): number {
  if (raw === undefined) return config.defaultTimeoutMs;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) {
    throw new GatewayError('BAD_REQUEST', 'timeout_ms must be a positive integer (milliseconds)');
  }
  return Math.min(Number(raw), config.maxTimeoutMs);
}

/** The device's presence: online for a call that waits; ever seen for a queued one. */
export function presenceOf(presence: DevicePresence, call: CommandCall): Presence | undefined {
  const { device } = call;
  const known = presence.get(device);
  if (!call.queued && known?.status !== 'online') {
    throw new GatewayError('DEVICE_OFFLINE', `device ${device} is offline`, {
      details: { device, status: known?.status ?? 'unknown' },
    });
  }
  if (call.queued && !known) {
    throw new GatewayError(
      'NOT_FOUND',
      `device ${device} has never connected: nothing would keep a queued command for it`,
    );
  }
  return known;
}

/** Empty means `{}`; anything else must be JSON. */
function parseBody(body: Buffer): unknown {
  if (body.length === 0 || body.toString('utf8').trim() === '') return {};
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw new GatewayError('BAD_REQUEST', 'the body must be JSON');
  }
}
