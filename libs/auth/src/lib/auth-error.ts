/**
 * Why a credential was refused, for logs and metrics. Clients see the message: what kind
 * of failure it was (malformed, expired, invalid), never which check or key was involved.
 */
export class AuthError extends Error {
  readonly isAuthError = true;

  constructor(
    readonly reason: 'missing' | 'malformed' | 'invalid' | 'expired' | 'revoked' | 'unavailable',
    message: string,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

export function isAuthError(value: unknown): value is AuthError {
  return typeof value === 'object' && value !== null && (value as AuthError).isAuthError === true;
}
