/**
 * Why a credential was refused, for logs and metrics. Clients see the message: what kind
 * of failure it was (malformed, expired, invalid), never which check or key was involved.
 */
export class AuthError extends Error {
  readonly isAuthError = true;

  constructor(
    readonly reason:
      'missing' | 'malformed' | 'signature' | 'invalid' | 'expired' | 'revoked' | 'unavailable',
    message: string,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

export function isAuthError(value: unknown): value is AuthError {
  return typeof value === 'object' && value !== null && (value as AuthError).isAuthError === true;
}

/**
 * What a client is told when its credential fails: the kind of failure (malformed, a signature
 * that does not verify, expired, invalid, revoked), never which check or which key. One
 * wording for MQTT and HTTP callers.
 */
export function refusalMessage(error: AuthError, via: 'token' | 'api-key'): string {
  if (via === 'api-key') return error.reason === 'revoked' ? 'API key revoked' : 'invalid API key';
  if (error.reason === 'malformed') return 'malformed token';
  if (error.reason === 'expired') return 'token expired';
  if (error.reason === 'signature') return 'token signature does not verify';
  return 'invalid token';
}
