import { readOrCreateDevSecret } from '@mqgw/auth';
import { ConfigError, int, maybe, str, url, type EnvOf } from '@mqgw/config';

/** What the guards and interceptors need: origins, credentials, limits, stores. */
export const pipelineEnv = {
  ALLOWED_ORIGINS: str({
    default: '*',
    pattern: /^(\*|[^,\s]+(,[^,\s]+)*)$/,
    doc: '* or a comma list of origins',
  }),
  JWT_SECRET: maybe(
    str({ pattern: /^.{32,}$/s, secret: true, doc: 'HS* secret, at least 32 characters' }),
  ),
  JWT_JWKS_URL: maybe(
    url({ protocols: ['http:', 'https:'], doc: 'remote JWKS for RS*/ES*/PS*/EdDSA' }),
  ),
  JWT_ALGORITHMS: maybe(
    str({
      pattern: /^(HS|RS|PS|ES)(256|384|512)(,(HS|RS|PS|ES)(256|384|512)|,EdDSA)*$|^EdDSA$/,
      doc: 'comma list',
    }),
  ),
  JWT_ISSUER: maybe(str()),
  JWT_AUDIENCE: maybe(str()),
  JWT_CLOCK_TOLERANCE_SECONDS: int({ default: 30, min: 0, max: 300 }),
  AUTH_CACHE_MAX: int({ default: 10_000, min: 0 }),
  AUTH_CACHE_TTL_SECONDS: int({ default: 60, min: 0 }),
  API_KEY_CACHE_TTL_SECONDS: int({ default: 5, min: 0, doc: 'upper bound on revocation delay' }),
  DEV_SECRET_FILE: str({
    default: 'tmp/dev-jwt-secret',
    doc: 'where a development JWT secret is kept',
  }),
  RATE_LIMIT_MAX: int({ default: 1000, min: 1 }),
  RATE_LIMIT_WINDOW_SECONDS: int({ default: 60, min: 1 }),
  GATEWAY_RATE_LIMIT_MAX: int({
    default: 600,
    min: 1,
    doc: 'gateway/* group, all callers together',
  }),
  GATEWAY_RATE_LIMIT_WINDOW_SECONDS: int({ default: 60, min: 1 }),
  IDEMPOTENCY_TTL_SECONDS: int({ default: 86_400, min: 1 }),
  FALLBACK_CACHE_TTL_SECONDS: int({ default: 300, min: 0, doc: '0 turns the stale cache off' }),
};

export interface JwtSettings {
  secret?: string;
  jwksUrl?: string;
  algorithms: string[];
  /** True when the secret was generated for development, not configured. */
  devSecret: boolean;
  issuer?: string;
  audience?: string;
  clockToleranceSeconds: number;
}

export interface PipelineConfig {
  allowedOrigins: '*' | ReadonlySet<string>;
  jwt: JwtSettings;
  authCache: { max: number; ttlSeconds: number };
  apiKeyCacheTtlSeconds: number;
  rateLimit: { limit: number; windowMs: number };
  gatewayRateLimit: { limit: number; windowMs: number };
  idempotencyTtlSeconds: number;
  fallbackCacheTtlSeconds: number;
  /** `UPSTREAM_TIMEOUT_MS`: how long a duplicate may wait for the first of its kind. */
  upstreamTimeoutMs: number;
}

export const PIPELINE_CONFIG = Symbol('PIPELINE_CONFIG');

export function readPipelineConfig(
  env: EnvOf<typeof pipelineEnv>,
  nodeEnv: string,
  upstreamTimeoutMs: number,
): PipelineConfig {
  return {
    allowedOrigins: env.ALLOWED_ORIGINS === '*' ? '*' : new Set(env.ALLOWED_ORIGINS.split(',')),
    jwt: {
      ...jwtKeys(env, nodeEnv),
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      clockToleranceSeconds: env.JWT_CLOCK_TOLERANCE_SECONDS,
    },
    authCache: { max: env.AUTH_CACHE_MAX, ttlSeconds: env.AUTH_CACHE_TTL_SECONDS },
    apiKeyCacheTtlSeconds: env.API_KEY_CACHE_TTL_SECONDS,
    rateLimit: { limit: env.RATE_LIMIT_MAX, windowMs: env.RATE_LIMIT_WINDOW_SECONDS * 1000 },
    gatewayRateLimit: {
      limit: env.GATEWAY_RATE_LIMIT_MAX,
      windowMs: env.GATEWAY_RATE_LIMIT_WINDOW_SECONDS * 1000,
    },
    idempotencyTtlSeconds: env.IDEMPOTENCY_TTL_SECONDS,
    fallbackCacheTtlSeconds: env.FALLBACK_CACHE_TTL_SECONDS,
    upstreamTimeoutMs,
  };
}

function jwtKeys(
  env: EnvOf<typeof pipelineEnv>,
  nodeEnv: string,
): Pick<JwtSettings, 'secret' | 'jwksUrl' | 'algorithms' | 'devSecret'> {
  if (env.JWT_SECRET && env.JWT_JWKS_URL) {
    throw new ConfigError(
      'JWT_JWKS_URL',
      'unset when JWT_SECRET is set (choose one key source)',
      env.JWT_JWKS_URL,
    );
  }
  const algorithms =
    env.JWT_ALGORITHMS?.split(',') ?? (env.JWT_JWKS_URL ? ['RS256', 'ES256'] : ['HS256']);
  const hmac = algorithms.filter((a) => a.startsWith('HS'));
  if (env.JWT_JWKS_URL) {
    if (hmac.length > 0)
      throw new ConfigError(
        'JWT_ALGORITHMS',
        'asymmetric algorithms only with JWT_JWKS_URL',
        env.JWT_ALGORITHMS ?? '',
      );
    return { jwksUrl: env.JWT_JWKS_URL, algorithms, devSecret: false };
  }
  if (hmac.length !== algorithms.length) {
    throw new ConfigError(
      'JWT_ALGORITHMS',
      'HS256, HS384 or HS512 with JWT_SECRET',
      env.JWT_ALGORITHMS ?? '',
    );
  }
  if (env.JWT_SECRET) return { secret: env.JWT_SECRET, algorithms, devSecret: false };
  if (nodeEnv === 'production') {
    throw new ConfigError(
      'JWT_SECRET',
      'a secret of 32+ characters, or JWT_JWKS_URL, when NODE_ENV=production',
      '',
    );
  }
  return { secret: readOrCreateDevSecret(env.DEV_SECRET_FILE), algorithms, devSecret: true };
}
