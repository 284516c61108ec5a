import { GatewayError } from '@mqgw/contracts';
import { requireObject } from '../request/request-body';

export const MAX_HEADERS = 64;
export const MAX_HEADER_VALUE_BYTES = 8 * 1024;
const CRLF = /[\r\n\u0000]/;
const NAME = /^[a-z0-9][a-z0-9._-]*$/;

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
  /** W3C trace context (`traceparent`, `tracestate`), where the client sends it. */
  headers?: unknown;
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

/**
 * What a device request without `responseTopic` carries: `{"id": "...", "data": {...}}`, and
 * optionally `"headers": {"traceparent": "..."}`.
 */
export interface DeviceEnvelope {
  /** Where the reply is matched; absent means fire and forget. */
  id?: string;
  data: unknown;
  /** The envelope's `headers`, as sent: only W3C trace context is read from it. */
  headers?: unknown;
  /** Why the envelope is not well formed, answered when `id` could still be read. */
  error?: GatewayError;
}

const ENVELOPE_ID = /^[\x21-\x7e]{1,128}$/;
const ENVELOPE_KEYS: ReadonlySet<string> = new Set(['id', 'data', 'headers']);

/**
 * Reads a device envelope: `id` (1 to 128 printable ASCII characters), `data` (an object,
 * `{}` when absent) and `headers` (trace context), nothing else. A malformed `id` makes the request fire-and-forget, since
 * there is nothing to answer to.
 */
export function readDeviceEnvelope(body: unknown): DeviceEnvelope {
  const envelope = requireObject(body) as Record<string, unknown>;
  const id =
    typeof envelope['id'] === 'string' && ENVELOPE_ID.test(envelope['id'])
      ? envelope['id']
      : undefined;
  const extra = Object.keys(envelope).filter((key) => !ENVELOPE_KEYS.has(key));
  if (extra.length > 0) {
    const error = new GatewayError(
      'BAD_REQUEST',
      `a device request is {"id", "data", "headers"}; unexpected ${extra.slice(0, 5).join(', ')}`,
    );
    return { id, data: {}, error };
  }
  if (envelope['id'] !== undefined && id === undefined) {
    return {
      data: {},
      error: new GatewayError('BAD_REQUEST', 'id must be 1 to 128 printable ASCII characters'),
    };
  }
  return { id, data: envelope['data'] ?? {}, headers: envelope['headers'] };
}
