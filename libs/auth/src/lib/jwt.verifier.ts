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

/** A JWS in compact form: three base64url parts. */
const COMPACT_JWS = /^[\w-]+\.[\w-]+\.[\w-]*$/;
const MAX_TOKEN_CHARS = 8192;
/** Refused tokens remembered, each at most this long: 4,096 × 1 KiB, 4 MiB at most. */
const REFUSED_MAX = 4096;
const REFUSED_MAX_CHARS = 1024;
const REFUSED_TTL_MS = 5000;
/**
 * The refusals worth remembering: a token that does not decode, whose signature does not
 * verify, or that has expired is refused again whatever happens meanwhile. Any other (a
 * claim not valid yet, a key the JWKS does not have yet, a JWKS that failed) may be the
 * gateway's or the moment's, and is verified anew each time.
 */
const REMEMBERED: ReadonlySet<AuthError['reason']> = new Set(['malformed', 'signature', 'expired']);

/**
 * The refusals, built once: a flood of bad tokens costs no stack trace of ours, and a token
 * refused for good is refused again from memory (`refused`) for 5 s, without `jose`.
 */
const REFUSAL = {
  malformed: new AuthError('malformed', 'malformed token'),
  expired: new AuthError('expired', 'token expired'),
  signature: new AuthError('signature', 'token signature does not verify'),
  invalid: new AuthError('invalid', 'invalid token'),
  unavailable: new AuthError('unavailable', 'token keys unavailable'),
  future: new AuthError('invalid', 'token issued in the future'),
  subject: new AuthError('invalid', 'token has no usable subject'),
} as const;

/**
 * Verifies bearer JWTs with `jose`. Algorithms are pinned by configuration, so `none` and
 * algorithm confusion (an HMAC token signed with a public key) fail. Verified tokens are
 * cached briefly, never past their `exp`; those refused for good (malformed, a signature
 * that does not verify, expired) for 5 s, so a flood repeating a bad token costs a map
 * lookup; `cacheMax: 0` turns both off.
 */
export class JwtVerifier {
  private readonly key: Uint8Array | KeyLike | JWTVerifyGetKey;
  private readonly cache: BoundedCache<Identity>;
  private readonly refused: BoundedCache<AuthError>;
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
    this.refused = new BoundedCache(options.cacheMax > 0 ? REFUSED_MAX : 0, this.now);
  }

  /** Refused tokens remembered now (at most 4,096, each at most 1 KiB). */
  get rememberedRefusals(): number {
    return this.refused.size;
  }

  async verify(token: string): Promise<Identity> {
    if (token.length > MAX_TOKEN_CHARS || !COMPACT_JWS.test(token)) throw REFUSAL.malformed;
    // The token itself is the key: hashing it cost more than the lookup it guards.
    const cached = this.cache.get(token);
    if (cached && cached.expiresAt > this.now()) return cached;
    const refused = this.refused.get(token);
    if (refused) throw refused;
    try {
      const identity = await this.verifyAnew(token);
      this.cache.set(
        token,
        identity,
        Math.min(identity.expiresAt, this.now() + this.options.cacheTtlSeconds * 1000),
      );
      return identity;
    } catch (error) {
      const refusal = error instanceof AuthError ? error : REFUSAL.unavailable;
      if (REMEMBERED.has(refusal.reason) && token.length <= REFUSED_MAX_CHARS) {
        this.refused.set(token, refusal, this.now() + REFUSED_TTL_MS);
      }
      throw refusal;
    }
  }

  private async verifyAnew(token: string): Promise<Identity> {
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
      throw refusalOf(error);
    }
    const nowSeconds = this.now() / 1000;
    if (
      typeof payload.iat === 'number' &&
      payload.iat > nowSeconds + this.options.clockToleranceSeconds
    ) {
      throw REFUSAL.future;
    }
    if (typeof payload.sub !== 'string' || payload.sub === '' || /[\r\n]/.test(payload.sub)) {
      throw REFUSAL.subject;
    }
    return {
      principalId: `user:${payload.sub}`,
      kind: 'user',
      userId: payload.sub,
      scopes: scopesFromClaims(payload as Record<string, unknown>),
      expiresAt: (payload.exp as number) * 1000,
    };
  }
}

/** What `jose`'s error means for the client. */
function refusalOf(error: unknown): AuthError {
  if (error instanceof errors.JWTExpired) return REFUSAL.expired;
  // Not a JWS at all (a header or payload that does not decode): the client's bug.
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return REFUSAL.malformed;
  }
  // Well formed, signed with another key: a wrong secret or issuer, the usual setup slip.
  if (error instanceof errors.JWSSignatureVerificationFailed) return REFUSAL.signature;
  if (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError)) {
    return REFUSAL.unavailable;
  }
  return REFUSAL.invalid;
}
