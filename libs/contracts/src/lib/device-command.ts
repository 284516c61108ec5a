/**
 * The wire contract of commands to devices (docs/mqtt-api.md, "Commands to devices"): the
 * topics, the two payload forms and the presence convention. Shared by the gateway, the
 * simulated device and the CLI, so that they cannot drift apart.
 */

/** A device's broker username, and a command's name: one plain topic level. */
export const COMMAND_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** A command id on the wire: `c`, then 32 lower-case hex digits. */
export const COMMAND_ID = /^c[0-9a-f]{32}$/;

/** The user property an MQTT 5 device puts on its status, so the gateway sends it MQTT 5 commands. */
export const PROTOCOL_PROPERTY = 'protocol';

/** The user property an MQTT 5 device sets on an answer that is an error. */
export const ERROR_PROPERTY = 'command-error';

export type DeviceStatus = 'online' | 'offline';

export const commandTopics = {
  /** Where the gateway publishes command `name` for `device`. */
  command: (prefix: string, device: string, name: string) => `${prefix}/${device}/commands/${name}`,
  /** Where the device answers: the 3.1.1 form, and the MQTT 5 `responseTopic`. */
  reply: (prefix: string, device: string, name: string) =>
    `${prefix}/${device}/command-replies/${name}`,
  /** The device's retained presence. */
  status: (prefix: string, device: string) => `${prefix}/${device}/status`,
  /** What a device subscribes to. */
  deviceFilter: (prefix: string, device: string) => `${prefix}/${device}/commands/+`,
  /** What the gateway subscribes to. */
  replyFilter: (prefix: string) => `${prefix}/+/command-replies/+`,
  statusFilter: (prefix: string) => `${prefix}/+/status`,
};

/** `<prefix>/<device>/<kind>/<name>` or `<prefix>/<device>/status`, split; undefined otherwise. */
export function parseDeviceTopic(
  prefix: string,
  topic: string,
):
  | { kind: 'commands' | 'command-replies'; device: string; name: string }
  | { kind: 'status'; device: string }
  | undefined {
  const levels = topic.split('/');
  if (levels[0] !== prefix || !COMMAND_NAME.test(levels[1] ?? '')) return undefined;
  if (levels.length === 3 && levels[2] === 'status') return { kind: 'status', device: levels[1] };
  if (levels.length !== 4 || !COMMAND_NAME.test(levels[3])) return undefined;
  if (levels[2] !== 'commands' && levels[2] !== 'command-replies') return undefined;
  return { kind: levels[2], device: levels[1], name: levels[3] };
}

/** What a device answered: a result, or its own error. */
export type CommandOutcome =
  { ok: true; data: unknown } | { ok: false; error: { code: string; message: string } };

/** The MQTT 3.1.1 command payload. */
export interface LegacyCommand {
  id: string;
  data: unknown;
}

export function encodeLegacyCommand(id: string, data: unknown): string {
  return JSON.stringify({ id, data } satisfies LegacyCommand);
}

export function encodeLegacyAnswer(id: string, outcome: CommandOutcome): string {
  return JSON.stringify(
    outcome.ok ? { id, data: outcome.data } : { id, error: sanitizeDeviceError(outcome.error) },
  );
}

/**
 * A 3.1.1 answer, `{"id", "data"}` or `{"id", "error": {"code", "message"}}`; undefined for
 * anything else.
 */
export function parseLegacyAnswer(
  payload: Buffer,
): { id: string; outcome: CommandOutcome } | undefined {
  const body = parseJson(payload);
  if (!isObject(body) || typeof body['id'] !== 'string') return undefined;
  const keys = Object.keys(body);
  if ('error' in body) {
    if (keys.length !== 2 || !isDeviceError(body['error'])) return undefined;
    return { id: body['id'], outcome: { ok: false, error: sanitizeDeviceError(body['error']) } };
  }
  if (keys.some((k) => k !== 'id' && k !== 'data')) return undefined;
  return { id: body['id'], outcome: { ok: true, data: body['data'] ?? null } };
}

/** An MQTT 5 answer: the payload is the result, or the error when `command-error` is set. */
export function parseV5Answer(payload: Buffer, errorProperty: unknown): CommandOutcome | undefined {
  const body = payload.length === 0 ? null : parseJson(payload);
  if (body === INVALID) return undefined;
  if (errorProperty === undefined) return { ok: true, data: body };
  if (!isDeviceError(body)) return undefined;
  return { ok: false, error: sanitizeDeviceError(body) };
}

const INVALID = Symbol('invalid');

function parseJson(payload: Buffer): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch {
    return INVALID;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isDeviceError(value: unknown): value is { code: string; message: string } {
  return (
    isObject(value) && typeof value['code'] === 'string' && typeof value['message'] === 'string'
  );
}

/** A device's error travels to an HTTP caller: short printable text only. */
function sanitizeDeviceError(error: { code: string; message: string }): {
  code: string;
  message: string;
} {
  const clean = (s: string, max: number) => s.replace(/[^\x20-\x7e]/g, '?').slice(0, max);
  return { code: clean(error.code, 64), message: clean(error.message, 512) };
}

/**
 * Whether `scopes` allow commanding `name` on `device`: `devices:command` allows every
 * command, `devices:command:<device>` every command to that device,
 * `devices:command:<device>:<name>` one command, and `devices:command:*:<name>` one command
 * to every device.
 */
export function allowsCommand(scopes: readonly string[], device: string, name: string): boolean {
  return scopes.some(
    (s) =>
      s === COMMAND_SCOPE ||
      s === `${COMMAND_SCOPE}:${device}` ||
      s === `${COMMAND_SCOPE}:${device}:${name}` ||
      s === `${COMMAND_SCOPE}:*:${name}`,
  );
}

export const COMMAND_SCOPE = 'devices:command';
