import { GatewayError } from '@mqgw/contracts';

export const MAX_HEADERS = 64;
/** Deeper JSON is refused before parsing: later steps (hashing, re-encoding) recurse. */
export const MAX_JSON_DEPTH = 64;
export const MAX_HEADER_VALUE_BYTES = 8 * 1024;
const CRLF = /[\r\n\u0000]/;
const NAME = /^[a-z0-9][a-z0-9._-]*$/;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes a request payload: UTF-8 JSON object, empty means `{}`. */
export function parseBody(payload: Buffer): unknown {
  if (payload.length === 0) return {};
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    throw new GatewayError('BAD_REQUEST', 'payload is not valid UTF-8');
  }
  if (text.trim() === '') return {};
  if (jsonDepth(text) > MAX_JSON_DEPTH) {
    throw new GatewayError('BAD_REQUEST', `payload is nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new GatewayError('BAD_REQUEST', 'payload is not valid JSON');
  }
  // JSON.parse turns 1e400 into Infinity, which re-encodes as null: refuse it instead.
  if (MAYBE_HUGE_NUMBER.test(text) && hasNonFiniteNumber(value)) {
    throw new GatewayError('BAD_REQUEST', 'payload has a number outside the double range');
  }
  return value;
}

/** Only exponents of 3+ digits or runs of 300+ digits can overflow a double. */
const MAYBE_HUGE_NUMBER = /[eE]\+?\d{3}|\d{300}/;

function hasNonFiniteNumber(value: unknown): boolean {
  if (typeof value === 'number') return !Number.isFinite(value);
  if (typeof value !== 'object' || value === null) return false;
  return Object.values(value).some(hasNonFiniteNumber);
}

/** The deepest nesting of arrays and objects in JSON text, strings skipped. One pass, no recursion. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) max = Math.max(max, ++depth);
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

export function requireObject(body: unknown): Record<string, unknown> {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new GatewayError('BAD_REQUEST', 'payload must be a JSON object');
  }
  return body as Record<string, unknown>;
}

/**
 * Normalises MQTT 5 user properties into headers: lower-cased names, one value each,
 * bounded in number and size, no CR/LF. Anything else is `BAD_REQUEST`.
 */
export function readHeaders(
  userProperties: Record<string, string | string[]> | undefined,
): Record<string, string> {
  const headers: Record<string, string> = Object.create(null);
  if (!userProperties) return headers;
  const entries = Object.entries(userProperties);
  if (entries.length > MAX_HEADERS) {
    throw new GatewayError('BAD_REQUEST', `at most ${MAX_HEADERS} user properties are allowed`);
  }
  for (const [rawName, value] of entries) {
    const name = rawName.toLowerCase();
    if (!NAME.test(name))
      throw new GatewayError('BAD_REQUEST', 'a user property has an invalid name');
    if (Array.isArray(value) || name in headers) {
      throw new GatewayError('BAD_REQUEST', `user property ${name} is repeated`);
    }
    if (Buffer.byteLength(value) > MAX_HEADER_VALUE_BYTES) {
      throw new GatewayError('BAD_REQUEST', `user property ${name} is too large`);
    }
    if (CRLF.test(value)) {
      throw new GatewayError('BAD_REQUEST', `user property ${name} contains CR, LF or NUL`);
    }
    headers[name] = value;
  }
  return headers;
}

/** NestJS `ClientMqtt` request packet. */
export interface NestPacket {
  pattern: string;
  id: string;
  data: unknown;
}

/** True for `{pattern, data, id}` addressed to this topic: the NestJS ClientMqtt form. */
export function asNestPacket(body: unknown, topic: string): NestPacket | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const candidate = body as Partial<NestPacket>;
  const pattern =
    typeof candidate.pattern === 'string' ? candidate.pattern : JSON.stringify(candidate.pattern);
  if (pattern !== topic || typeof candidate.id !== 'string' || candidate.id === '')
    return undefined;
  return candidate as NestPacket;
}

/** What a device request without `responseTopic` carries: `{"id": "...", "data": {...}}`. */
export interface DeviceEnvelope {
  /** Where the reply is matched; absent means fire and forget. */
  id?: string;
  data: unknown;
  /** Why the envelope is not well formed, answered when `id` could still be read. */
  error?: GatewayError;
}

const ENVELOPE_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * Reads a device envelope: `id` (1 to 128 printable ASCII characters) and `data` (an object,
 * `{}` when absent), nothing else. A malformed `id` makes the request fire-and-forget, since
 * there is nothing to answer to.
 */
export function readDeviceEnvelope(body: unknown): DeviceEnvelope {
  const envelope = requireObject(body) as Record<string, unknown>;
  const id =
    typeof envelope['id'] === 'string' && ENVELOPE_ID.test(envelope['id'])
      ? envelope['id']
      : undefined;
  const extra = Object.keys(envelope).filter((key) => key !== 'id' && key !== 'data');
  if (extra.length > 0) {
    const error = new GatewayError(
      'BAD_REQUEST',
      `a device request is {"id", "data"}; unexpected ${extra.slice(0, 5).join(', ')}`,
    );
    return { id, data: {}, error };
  }
  if (envelope['id'] !== undefined && id === undefined) {
    return {
      data: {},
      error: new GatewayError('BAD_REQUEST', 'id must be 1 to 128 printable ASCII characters'),
    };
  }
  return { id, data: envelope['data'] ?? {} };
}
