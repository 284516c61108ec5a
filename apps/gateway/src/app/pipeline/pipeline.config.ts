import { resolve } from 'node:path';
import { readOrCreateDevSecret } from '@mqgw/auth';
import { ConfigError, bool, custom, int, maybe, str, url, type EnvOf } from '@mqgw/config';
import { isReservedHeader } from '@mqgw/contracts';

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
  JWT_ISSUER_AUDIENCE_OPTIONAL: bool({
    default: false,
    doc: 'true lets NODE_ENV=production run without JWT_ISSUER and JWT_AUDIENCE',
  }),
  JWT_CLOCK_TOLERANCE_SECONDS: int({ default: 30, min: 0, max: 300 }),
  AUTH_CACHE_MAX: int({ default: 10_000, min: 0 }),
  AUTH_CACHE_TTL_SECONDS: int({ default: 60, min: 0 }),
  API_KEY_CACHE_TTL_SECONDS: int({ default: 5, min: 0, doc: 'upper bound on revocation delay' }),
  API_KEY_NEGATIVE_CACHE_SECONDS: int({
    default: 30,
    min: 0,
    doc: 'an unknown or wrong key is refused this long without a store lookup',
  }),
  DEVICE_CACHE_TTL_SECONDS: int({
    default: 5,
    min: 0,
    doc: 'how long a device’s scopes are trusted before the store is asked again',
  }),
  AUTH_FAILURE_LIMIT: int({
    default: 600,
    min: 1,
    doc: 'failed authentications per window and source (reply topic, else key id), per instance, before RATE_LIMITED',
  }),
  AUTH_FAILURE_WINDOW_SECONDS: int({ default: 60, min: 1 }),
  FORWARD_HEADERS: custom(
    'header names or prefixes ending in * separated by commas, none reserved (x-user-id, x-forwarded-*, authorization, ...)',
    (raw) => {
      const names = raw.split(',').map((n) => n.trim().toLowerCase());
      return names.every(isForwardable) ? names : undefined;
    },
    {
      default: ['accept-language', 'x-client-*', 'x-device-id', 'x-correlation-id'],
      doc: 'the client headers (user properties) passed to services by forwardHeaders',
    },
  ),
  DEV_SECRET_FILE: str({
    default: 'tmp/dev-jwt-secret',
    doc: 'where a development JWT secret is kept',
  }),
  ADMISSION_LIMIT: custom(
    '"adaptive" or a whole number of at least 1',
    (raw): 'adaptive' | number | undefined =>
      raw === 'adaptive' ? raw : /^[1-9]\d{0,6}$/.test(raw) ? Number(raw) : undefined,
    {
      default: 'adaptive' as const,
      doc: 'the concurrency limit: past half of it each caller is held to an equal share, and the rest refused; adaptive learns it from the gateway’s own latency',
    },
  ),
  RATE_LIMIT_MAX: int({ default: 1000, min: 1 }),
  RATE_LIMIT_WINDOW_SECONDS: int({ default: 60, min: 1 }),
  GATEWAY_RATE_LIMIT_MAX: int({
    default: 600,
    min: 1,
    doc: 'gateway/* group: per caller with credentials; anonymous callers together',
  }),
  GATEWAY_RATE_LIMIT_WINDOW_SECONDS: int({ default: 60, min: 1 }),
  IDEMPOTENCY_TTL_SECONDS: int({ default: 86_400, min: 1 }),
  IDEMPOTENCY_MAX_KEYS: int({
    default: 10_000,
    min: 1,
    doc: 'idempotency records one principal may hold at once',
  }),
  IDEMPOTENCY_MAX_BYTES: int({
    default: 4 * 1024 * 1024,
    min: 1024,
    doc: 'bytes the idempotency records of one principal may take in the store',
  }),
  IDEMPOTENCY_MAX_RECORD_BYTES: int({
    default: 16 * 1024,
    min: 4096,
    doc: 'a reply larger than this is not kept whole: an error is kept clipped, a success not at all',
  }),
  FALLBACK_CACHE_TTL_SECONDS: int({ default: 300, min: 0, doc: '0 turns the stale cache off' }),
  FALLBACK_CACHE_MAX_ENTRIES: int({
    default: 1000,
    min: 1,
    doc: 'stale copies one principal may hold',
  }),
  FALLBACK_CACHE_MAX_BYTES: int({
    default: 1024 * 1024,
    min: 1024,
    doc: 'bytes the stale copies of one principal may take in the store',
  }),
  FALLBACK_CACHE_MAX_RECORD_BYTES: int({
    default: 64 * 1024,
    min: 1024,
    doc: 'a read reply larger than this gets no stale copy',
  }),
};

/** A header (or `prefix*`) clients may send on to services: a valid name, never a reserved one. */
function isForwardable(name: string): boolean {
  const bare = name.endsWith('*') ? name.slice(0, -1) : name;
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(bare.replace(/-$/, 'x'))) return false;
  return (
    !isReservedHeader(bare) &&
    !HOP_OR_CREDENTIAL.some((h) => h.startsWith(bare) || bare.startsWith(h))
  );
}

/** What the gateway or HTTP itself owns, besides the identity headers `isReservedHeader` names. */
const HOP_OR_CREDENTIAL = [
  'authorization',
  'x-api-key',
  'cookie',
  'host',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-',
  'content-length',
  'content-type',
  'expect',
  'idempotency-key',
  'traceparent',
  'origin',
];

export interface JwtSettings {
  secret?: string;
  jwksUrl?: string;
  algorithms: string[];
  /** True when the secret was generated for development, not configured. */
  devSecret: boolean;
  /** Where that development secret is kept (absolute), to say so instead of printing it. */
  devSecretFile?: string;
  issuer?: string;
  audience?: string;
  clockToleranceSeconds: number;
}

export interface AdmissionSettings {
  /** A fixed limit, or adaptive within [16, maxInflight]. */
  limit: 'adaptive' | number;
  /** `MAX_INFLIGHT`: never more admitted at once. */
  maxInflight: number;
  /** `UPSTREAM_TIMEOUT_MS`: a request's deadline when the client gave none. */
  defaultDeadlineMs: number;
}

export interface PipelineConfig {
  allowedOrigins: '*' | ReadonlySet<string>;
  admission: AdmissionSettings;
  jwt: JwtSettings;
  authCache: { max: number; ttlSeconds: number };
  apiKeyCacheTtlSeconds: number;
  apiKeyNegativeCacheSeconds: number;
  deviceCacheTtlSeconds: number;
  authFailures: { limit: number; windowMs: number };
  /** Exact header names, and prefixes (the part before `*`). */
  forwardHeaders: { names: ReadonlySet<string>; prefixes: readonly string[] };
  /** Per principal: records, their bytes in the store, and the largest record kept whole. */
  idempotency: { maxKeys: number; maxBytes: number; maxRecordBytes: number };
  /** Per principal: stale copies, their bytes in the store, and the largest one kept. */
  fallbackCache: { maxEntries: number; maxBytes: number; maxRecordBytes: number };
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
  maxInflight: number,
): PipelineConfig {
  return {
    allowedOrigins: env.ALLOWED_ORIGINS === '*' ? '*' : new Set(env.ALLOWED_ORIGINS.split(',')),
    admission: {
      limit:
        env.ADMISSION_LIMIT === 'adaptive'
          ? 'adaptive'
          : Math.min(env.ADMISSION_LIMIT, maxInflight),
      maxInflight,
      defaultDeadlineMs: upstreamTimeoutMs,
    },
    jwt: jwtSettings(env, nodeEnv),
    authCache: { max: env.AUTH_CACHE_MAX, ttlSeconds: env.AUTH_CACHE_TTL_SECONDS },
    apiKeyCacheTtlSeconds: env.API_KEY_CACHE_TTL_SECONDS,
    deviceCacheTtlSeconds: env.DEVICE_CACHE_TTL_SECONDS,
    apiKeyNegativeCacheSeconds: env.API_KEY_NEGATIVE_CACHE_SECONDS,
    authFailures: {
      limit: env.AUTH_FAILURE_LIMIT,
      windowMs: env.AUTH_FAILURE_WINDOW_SECONDS * 1000,
    },
    forwardHeaders: {
      names: new Set(env.FORWARD_HEADERS.filter((n) => !n.endsWith('*'))),
      prefixes: env.FORWARD_HEADERS.filter((n) => n.endsWith('*')).map((n) => n.slice(0, -1)),
    },
    ...storeBounds(env),
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

/**
 * A byte budget that holds at least one largest record and its bookkeeping (key names and
 * Redis overhead, see `boundedEntryBytes`); a smaller one would refuse every write.
 */
function atLeastOneRecord(name: string, budget: number, recordName: string, record: number) {
  if (budget < record + 4096) {
    throw new ConfigError(name, `at least ${recordName} + 4096 (${record + 4096})`, String(budget));
  }
  return budget;
}

/** The JWT settings; in production both issuer and audience, unless waived on purpose. */
function jwtSettings(env: EnvOf<typeof pipelineEnv>, nodeEnv: string): JwtSettings {
  const keys = jwtKeys(env, nodeEnv);
  // In production, a token from any issuer or for any audience the key signs would do.
  if (nodeEnv === 'production' && !env.JWT_ISSUER_AUDIENCE_OPTIONAL) {
    for (const name of ['JWT_ISSUER', 'JWT_AUDIENCE'] as const) {
      if (!env[name]) {
        throw new ConfigError(
          name,
          'set when NODE_ENV=production (or JWT_ISSUER_AUDIENCE_OPTIONAL=true)',
          '',
        );
      }
    }
  }
  return {
    ...keys,
    issuer: env.JWT_ISSUER,
    audience: env.JWT_AUDIENCE,
    clockToleranceSeconds: env.JWT_CLOCK_TOLERANCE_SECONDS,
  };
}

/** What one principal may keep: idempotency records and stale copies, in count and bytes. */
function storeBounds(
  env: EnvOf<typeof pipelineEnv>,
): Pick<PipelineConfig, 'idempotency' | 'fallbackCache'> {
  return {
    idempotency: {
      maxKeys: env.IDEMPOTENCY_MAX_KEYS,
      maxBytes: atLeastOneRecord(
        'IDEMPOTENCY_MAX_BYTES',
        env.IDEMPOTENCY_MAX_BYTES,
        'IDEMPOTENCY_MAX_RECORD_BYTES',
        env.IDEMPOTENCY_MAX_RECORD_BYTES,
      ),
      maxRecordBytes: env.IDEMPOTENCY_MAX_RECORD_BYTES,
    },
    fallbackCache: {
      maxEntries: env.FALLBACK_CACHE_MAX_ENTRIES,
      maxBytes: atLeastOneRecord(
        'FALLBACK_CACHE_MAX_BYTES',
        env.FALLBACK_CACHE_MAX_BYTES,
        'FALLBACK_CACHE_MAX_RECORD_BYTES',
        env.FALLBACK_CACHE_MAX_RECORD_BYTES,
      ),
      maxRecordBytes: env.FALLBACK_CACHE_MAX_RECORD_BYTES,
    },
  };
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** A JWKS is fetched over https (http only on loopback) and signs asymmetrically. */
function checkJwks(url: string, hmac: boolean, algorithms: string | undefined): void {
  const { protocol, hostname } = new URL(url);
  if (protocol !== 'https:' && !isLoopback(hostname)) {
    throw new ConfigError('JWT_JWKS_URL', 'an https: URL (http: only on loopback)', url);
  }
  if (hmac) {
    throw new ConfigError(
      'JWT_ALGORITHMS',
      'asymmetric algorithms only with JWT_JWKS_URL',
      algorithms ?? '',
    );
  }
}

function jwtKeys(
  env: EnvOf<typeof pipelineEnv>,
  nodeEnv: string,
): Pick<JwtSettings, 'secret' | 'jwksUrl' | 'algorithms' | 'devSecret' | 'devSecretFile'> {
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
    checkJwks(env.JWT_JWKS_URL, hmac.length > 0, env.JWT_ALGORITHMS);
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
  const devSecretFile = resolve(env.DEV_SECRET_FILE);
  return {
    secret: readOrCreateDevSecret(devSecretFile),
    algorithms,
    devSecret: true,
    devSecretFile,
  };
}
