import {
  createRemoteJWKSet,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
  type KeyLike,
} from 'jose';
import { AuthError } from './auth-error';
import { BoundedCache } from './bounded-cache';
import { scopesFromClaims, type Identity } from './identity';

export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'ES256',
  'ES384',
  'EdDSA',
] as const;

export interface JwtVerifierOptions {
  /** HMAC secret; exclusive with `jwksUrl`. */
  secret?: string;
  /** Remote JWKS, cached and refetched when a token names an unknown `kid`. */
  jwksUrl?: string;
  /** The only algorithms accepted; the token's own `alg` is never trusted beyond this. */
  algorithms: readonly string[];
  issuer?: string;
  audience?: string;
  clockToleranceSeconds: number;
  /** Minimum time between JWKS refetches triggered by unknown `kid`s (default 30 s). */
  jwksCooldownMs?: number;
  /** Verified tokens kept to skip re-verification; 0 disables the cache. */
  cacheMax: number;
  cacheTtlSeconds: number;
  now?: () => number;
}

/**
 * Verifies bearer JWTs with `jose`. Algorithms are pinned by configuration, so `none` and
 * algorithm confusion (an HMAC token signed with a public key) fail. Verified tokens are
 * cached briefly, never past their `exp`.
 */
export class JwtVerifier {
  private readonly key: Uint8Array | KeyLike | JWTVerifyGetKey;
  private readonly cache: BoundedCache<Identity>;
  private readonly now: () => number;

  constructor(private readonly options: JwtVerifierOptions) {
    if (!!options.secret === !!options.jwksUrl) {
      throw new Error('JwtVerifier needs exactly one of secret or jwksUrl');
    }
    if (
      options.algorithms.length === 0 ||
      options.algorithms.some((a) => a.toLowerCase() === 'none')
    ) {
      throw new Error('JwtVerifier needs a non-empty list of real algorithms');
    }
    const hmac = options.algorithms.filter((a) =>
      (HMAC_ALGORITHMS as readonly string[]).includes(a),
    );
    if (options.secret && hmac.length !== options.algorithms.length) {
      throw new Error('a shared secret only verifies HS* algorithms');
    }
    if (options.jwksUrl && hmac.length > 0) {
      throw new Error('a JWKS only verifies asymmetric algorithms');
    }
    this.now = options.now ?? Date.now;
    this.key = options.secret
      ? new TextEncoder().encode(options.secret)
      : createRemoteJWKSet(new URL(options.jwksUrl!), {
          cooldownDuration: options.jwksCooldownMs ?? 30_000,
          cacheMaxAge: 10 * 60_000,
        });
    this.cache = new BoundedCache(options.cacheMax, this.now);
  }

  async verify(token: string): Promise<Identity> {
    if (!/^[\w-]+\.[\w-]+\.[\w-]*$/.test(token) || token.length > 8192) {
      throw new AuthError('malformed', 'malformed token');
    }
    // The token itself is the key: hashing it cost more than the lookup it guards.
    const cacheKey = token;
    const cached = this.cache.get(cacheKey);
    if (cached && cached.expiresAt > this.now()) return cached;

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.key as Uint8Array, {
        algorithms: [...this.options.algorithms],
        issuer: this.options.issuer,
        audience: this.options.audience,
        clockTolerance: this.options.clockToleranceSeconds,
        requiredClaims: ['sub', 'exp'],
        currentDate: new Date(this.now()),
      }));
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw new AuthError('expired', 'token expired');
      // Not a JWS at all (a header or payload that does not decode): the client's bug.
      if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
        throw new AuthError('malformed', 'malformed token');
      }
      // Well formed, signed with another key: a wrong secret or issuer, the usual setup slip.
      if (error instanceof errors.JWSSignatureVerificationFailed) {
        throw new AuthError('signature', 'token signature does not verify');
      }
      if (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError)) {
        throw new AuthError('unavailable', 'token keys unavailable');
      }
      throw new AuthError('invalid', 'invalid token');
    }
    const nowSeconds = this.now() / 1000;
    if (
      typeof payload.iat === 'number' &&
      payload.iat > nowSeconds + this.options.clockToleranceSeconds
    ) {
      throw new AuthError('invalid', 'token issued in the future');
    }
    if (typeof payload.sub !== 'string' || payload.sub === '' || /[\r\n]/.test(payload.sub)) {
      throw new AuthError('invalid', 'token has no usable subject');
    }
    const exp = (payload.exp as number) * 1000;
    const identity: Identity = {
      principalId: `user:${payload.sub}`,
      kind: 'user',
      userId: payload.sub,
      scopes: scopesFromClaims(payload as Record<string, unknown>),
      expiresAt: exp,
    };
    this.cache.set(
      cacheKey,
      identity,
      Math.min(exp, this.now() + this.options.cacheTtlSeconds * 1000),
    );
    return identity;
  }
}
