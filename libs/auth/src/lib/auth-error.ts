/**
 * Why a credential was refused. The reason is for logs and metrics; clients only ever
 * see a general message, so a probe learns nothing about which check failed.
 */
export class AuthError extends Error {
  readonly isAuthError = true;

  constructor(
    readonly reason:
      'missing' | 'malformed' | 'invalid' | 'expired' | 'revoked' | 'unavailable' | 'throttled',
    message: string,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

export function isAuthError(value: unknown): value is AuthError {
  return typeof value === 'object' && value !== null && (value as AuthError).isAuthError === true;
}
