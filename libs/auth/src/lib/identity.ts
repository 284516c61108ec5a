/** A verified caller. */
export interface Identity {
  /** `user:<sub>`, `key:<id>` or `device:<name>`: the unit of rate limits and idempotency. */
  principalId: string;
  kind: 'user' | 'api-key' | 'device';
  /** Sent upstream as X-User-ID: the token's `sub`, the key's owner, or the device name. */
  userId: string;
  scopes: readonly string[];
  /** Epoch ms after which this identity must be verified again; `Infinity` for keys. */
  expiresAt: number;
}

/** Reads `scope` (space-separated, RFC 8693) or `scopes` (array or string) from claims. */
export function scopesFromClaims(claims: Record<string, unknown>): string[] {
  const out = new Set<string>();
  for (const value of [claims['scope'], claims['scopes']]) {
    if (typeof value === 'string')
      value
        .split(/\s+/)
        .filter(Boolean)
        .forEach((s) => out.add(s));
    else if (Array.isArray(value))
      value.filter((s): s is string => typeof s === 'string').forEach((s) => out.add(s));
  }
  return [...out];
}
