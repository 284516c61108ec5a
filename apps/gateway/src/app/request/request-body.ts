import { GatewayError } from '@mqgw/contracts';

/** Deeper JSON is refused before parsing: later steps (hashing, re-encoding) recurse. */
export const MAX_JSON_DEPTH = 64;

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
 * A request's body as it arrived: still raw, or already read out of an envelope (a device's
 * `{id, data}`, a NestJS client's `{pattern, id, data}`). Decoded on first use, so that a
 * request refused earlier (by auth or admission) never costs a JSON parse, and so that a
 * body the caller got wrong is answered once the caller is known.
 */
export type BodySource = { raw: Buffer; maxBytes: number } | { value: unknown };

/** Decodes a body source: size, UTF-8, JSON and object checks; `BAD_REQUEST` (or 413) if not. */
export function decodeBody(source: BodySource): Record<string, unknown> {
  if ('value' in source) return requireObject(source.value);
  if (source.raw.length > source.maxBytes) {
    throw new GatewayError('PAYLOAD_TOO_LARGE', `payload exceeds ${source.maxBytes} bytes`);
  }
  return requireObject(parseBody(source.raw));
}
