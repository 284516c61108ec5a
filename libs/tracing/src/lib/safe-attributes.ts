import type { Attributes, AttributeValue } from '@opentelemetry/api';

/**
 * Names that may hold a credential or what a client sent: never exported, whoever sets them.
 * Spans leave the process for a tracing backend that more people read than the logs.
 */
const SECRET_NAME =
  /(^|[._-])(token|secret|password|passwd|authorization|cookie|api[._-]?key|key|jwt|credentials?|signature|payload|body)($|[._-])/i;
/** Values that look like a credential whatever their name: a JWT, a bearer or basic header. */
const SECRET_VALUE = /^(bearer |basic )|^eyJ[\w-]{8,}\.[\w-]+\./i;
/** Longer values are clipped: an attribute names things, it does not carry them. */
export const MAX_ATTRIBUTE_CHARS = 256;

export const REDACTED = '[redacted]';

/**
 * Verdicts on names seen so far. The gateway's names are a few dozen constants in its code,
 * so each is tested once instead of once per request; the map is bounded all the same.
 */
const verdicts = new Map<string, boolean>();
const MAX_VERDICTS = 1024;

/** Whether `name` may hold a secret or a payload: an attribute under it is never exported. */
export function isSecretName(name: string): boolean {
  let secret = verdicts.get(name);
  if (secret === undefined) {
    secret = SECRET_NAME.test(name);
    if (verdicts.size >= MAX_VERDICTS) verdicts.clear();
    verdicts.set(name, secret);
  }
  return secret;
}

/**
 * `attributes` fit to export: a name that may hold a secret or a payload is dropped, a value
 * that looks like a credential is replaced by `[redacted]`, long strings are clipped.
 */
export function safeAttributes(attributes: Record<string, AttributeValue | undefined>): Attributes {
  const safe: Attributes = {};
  for (const name in attributes) {
    const value = attributes[name];
    if (value === undefined || isSecretName(name)) continue;
    safe[name] = typeof value === 'string' ? safeText(value) : value;
  }
  return safe;
}

function safeText(value: string): string {
  if (SECRET_VALUE.test(value)) return REDACTED;
  return value.length > MAX_ATTRIBUTE_CHARS ? value.slice(0, MAX_ATTRIBUTE_CHARS) : value;
}
