import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@mqgw/config';
import { readOrCreateDevSecret } from '@mqgw/auth';
import { readGatewayConfig } from './gateway.config';

const SECRET = 'x'.repeat(32);

describe('readGatewayConfig', () => {
  it('applies the documented defaults', () => {
    const config = readGatewayConfig({ JWT_SECRET: SECRET });
    expect(config).toMatchObject({
      operations: { httpPort: 3000, httpHost: '127.0.0.1' },
      transport: {
        url: undefined,
        embeddedPort: 1883,
        maxPayloadBytes: 262_144,
        maxInflight: 1024,
      },
      state: { redis: undefined, rateLimitFailMode: 'open' },
      upstream: { timeoutMs: 30_000 },
      pipeline: {
        idempotencyTtlSeconds: 86_400,
        rateLimit: { limit: 1000, windowMs: 60_000 },
        allowedOrigins: '*',
        jwt: { secret: SECRET, algorithms: ['HS256'], devSecret: false },
      },
    });
  });

  it('logs JSON off a terminal unless LOG_FORMAT says pretty, and refuses another format', () => {
    // Jest's stdout is not a terminal: the default is JSON, whatever NODE_ENV or CI say.
    expect(readGatewayConfig({ JWT_SECRET: SECRET }).logFormat).toBe('json');
    expect(readGatewayConfig({ JWT_SECRET: SECRET, LOG_FORMAT: 'pretty' }).logFormat).toBe(
      'pretty',
    );
    expect(() => readGatewayConfig({ JWT_SECRET: SECRET, LOG_FORMAT: 'fancy' })).toThrow(
      'Invalid LOG_FORMAT: expected one of json, pretty, got "fancy"',
    );
  });

  it('keeps a persistent session alone, a clean one behind a shared group, unless told', () => {
    const expiry = (env: Record<string, string>) =>
      readGatewayConfig({ JWT_SECRET: SECRET, ...env }).transport.sessionExpirySeconds;
    expect(expiry({})).toBe(3600);
    expect(expiry({ SHARED_SUBSCRIPTION_GROUP: 'gw' })).toBe(0);
    expect(expiry({ SHARED_SUBSCRIPTION_GROUP: 'gw', MQTT_SESSION_EXPIRY_SECONDS: '60' })).toBe(60);
    expect(expiry({ MQTT_SESSION_EXPIRY_SECONDS: '0' })).toBe(0);
  });

  it('reads one Redis source: a URL, Cluster nodes, or Sentinels with a master name', () => {
    const redis = (env: Record<string, string>) =>
      readGatewayConfig({ JWT_SECRET: SECRET, ...env }).state.redis;
    expect(redis({})).toBeUndefined();
    expect(redis({ REDIS_URL: 'redis://r:6379' })).toEqual({ kind: 'url', url: 'redis://r:6379' });
    expect(redis({ REDIS_CLUSTER_NODES: 'a:7000,b:7001' })).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'a', port: 7000 },
        { host: 'b', port: 7001 },
      ],
    });
    expect(redis({ REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_MASTER: 'main' })).toEqual({
      kind: 'sentinel',
      sentinels: [{ host: 's', port: 26379 }],
      name: 'main',
    });
  });

  it.each([
    [
      { REDIS_URL: 'redis://r:6379', REDIS_CLUSTER_NODES: 'a:7000' },
      'Invalid REDIS_CLUSTER_NODES: expected unset when REDIS_URL is set (choose one)',
    ],
    [{ REDIS_CLUSTER_NODES: 'a:7000,b' }, 'Invalid REDIS_CLUSTER_NODES'],
    [{ REDIS_CLUSTER_NODES: 'a:99999' }, 'Invalid REDIS_CLUSTER_NODES'],
    [{ REDIS_SENTINELS: 's:26379' }, 'Invalid REDIS_SENTINEL_MASTER'],
    [
      { HTTP_PORT: 'eighty' },
      'Invalid HTTP_PORT: expected an integer from 0 to 65535, got "eighty"',
    ],
    [{ MQTT_URL: 'http://x' }, 'Invalid MQTT_URL'],
    [
      { SERVICES: 'user-service' },
      'Invalid SERVICES: expected name=http://host:port pairs separated by commas, got "user-service"',
    ],
    [
      { RATE_LIMIT_FAIL_MODE: 'sometimes' },
      'Invalid RATE_LIMIT_FAIL_MODE: expected one of open, closed',
    ],
    [{ JWT_SECRET: 'short' }, 'Invalid JWT_SECRET'],
    [{ JWT_ALGORITHMS: 'none' }, 'Invalid JWT_ALGORITHMS'],
    [
      { JWT_JWKS_URL: 'https://idp/jwks', JWT_ALGORITHMS: 'HS256', JWT_SECRET: undefined },
      'Invalid JWT_ALGORITHMS',
    ],
    [{ SHARED_SUBSCRIPTION_GROUP: 'a/b' }, 'Invalid SHARED_SUBSCRIPTION_GROUP'],
    [
      { GATEWAY_WORKERS: '2' },
      'Invalid GATEWAY_WORKERS: expected 1 unless MQTT_URL and Redis are set',
    ],
    [
      { DEVICE_TOPIC_PREFIX: 'things' },
      'Invalid DEVICE_TOPIC_PREFIX: expected unset with the embedded broker',
    ],
    [
      { MQTT_URL: 'mqtt://b', DEVICE_TOPIC_PREFIX: 'a/b' },
      'Invalid DEVICE_TOPIC_PREFIX: expected one plain topic level',
    ],
  ])('names the variable in one line: %p', (env, message) => {
    const read = () => readGatewayConfig({ JWT_SECRET: SECRET, ...env });
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(message);
  });

  it('reads the device namespace when a broker is named', () => {
    const env = { JWT_SECRET: SECRET, MQTT_URL: 'mqtt://b', DEVICE_TOPIC_PREFIX: 'things' };
    expect(readGatewayConfig(env).transport.devicePrefix).toBe('things');
    expect(readGatewayConfig({ JWT_SECRET: SECRET }).transport.devicePrefix).toBeUndefined();
  });

  it('puts workers in one shared group with clean sessions unless told otherwise', () => {
    const env = { JWT_SECRET: SECRET, MQTT_URL: 'mqtt://b', REDIS_URL: 'redis://r:6379' };
    expect(readGatewayConfig({ ...env, GATEWAY_WORKERS: '2' }).transport).toMatchObject({
      sharedGroup: 'gateway',
      sessionExpirySeconds: 0,
    });
    expect(
      readGatewayConfig({ ...env, GATEWAY_WORKERS: '2', SHARED_SUBSCRIPTION_GROUP: 'gw' }).transport
        .sharedGroup,
    ).toBe('gw');
  });

  it('refuses to start in production without real secrets', () => {
    expect(() => readGatewayConfig({ NODE_ENV: 'production' })).toThrow('Invalid JWT_SECRET');
    const production = {
      NODE_ENV: 'production',
      JWT_ISSUER: 'https://idp',
      JWT_AUDIENCE: 'mqgw',
    };
    expect(
      readGatewayConfig({ ...production, JWT_JWKS_URL: 'https://idp/jwks' }).pipeline.jwt,
    ).toMatchObject({
      jwksUrl: 'https://idp/jwks',
      algorithms: ['RS256', 'ES256'],
      devSecret: false,
    });
  });

  it('in production, requires an issuer and an audience unless explicitly waived', () => {
    const base = { NODE_ENV: 'production', JWT_SECRET: SECRET };
    expect(() => readGatewayConfig(base)).toThrow(
      'Invalid JWT_ISSUER: expected set when NODE_ENV=production (or JWT_ISSUER_AUDIENCE_OPTIONAL=true)',
    );
    expect(() => readGatewayConfig({ ...base, JWT_ISSUER: 'i' })).toThrow('Invalid JWT_AUDIENCE');
    expect(
      readGatewayConfig({ ...base, JWT_ISSUER: 'i', JWT_AUDIENCE: 'a' }).pipeline.jwt,
    ).toMatchObject({ issuer: 'i', audience: 'a' });
    expect(
      readGatewayConfig({ ...base, JWT_ISSUER_AUDIENCE_OPTIONAL: 'true' }).pipeline.jwt.issuer,
    ).toBeUndefined();
    // Development takes tokens without them, as before.
    expect(readGatewayConfig({ JWT_SECRET: SECRET }).pipeline.jwt.issuer).toBeUndefined();
  });

  it('takes only known NODE_ENV values: a typo never means development', () => {
    expect(() => readGatewayConfig({ NODE_ENV: 'prod', JWT_SECRET: SECRET })).toThrow(
      'Invalid NODE_ENV: expected one of development, production, test, got "prod"',
    );
  });

  it('fetches keys over https only, except from loopback', () => {
    const jwks = (url: string) => () => readGatewayConfig({ JWT_JWKS_URL: url });
    expect(jwks('http://idp.example/jwks')).toThrow(
      'Invalid JWT_JWKS_URL: expected an https: URL (http: only on loopback)',
    );
    expect(jwks('http://127.0.0.1:8080/jwks')).not.toThrow();
    expect(jwks('http://localhost/jwks')).not.toThrow();
    expect(jwks('https://idp.example/jwks')).not.toThrow();
  });

  it('refuses a forwarded-header list that would let identity or credentials through', () => {
    for (const list of ['x-*', 'x-user-id', 'x-forwarded-*', 'authorization', 'x-api-key']) {
      expect(() => readGatewayConfig({ JWT_SECRET: SECRET, FORWARD_HEADERS: list })).toThrow(
        'Invalid FORWARD_HEADERS',
      );
    }
    expect(
      readGatewayConfig({ JWT_SECRET: SECRET, FORWARD_HEADERS: 'x-tenant,x-app-*' }).pipeline
        .forwardHeaders,
    ).toEqual({ names: new Set(['x-tenant']), prefixes: ['x-app-'] });
  });

  it('never echoes a rejected secret', () => {
    expect(() => readGatewayConfig({ JWT_SECRET: 'too-short-secret' })).toThrow(
      'Invalid JWT_SECRET: expected a string matching /^.{32,}$/s, got a value that is not shown',
    );
    expect(() => readGatewayConfig({ JWT_SECRET: SECRET, MQTT_URL: 'http://gw:pw@x' })).toThrow(
      'got "http://***@x"',
    );
  });

  it('generates one development secret and shares it through a file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'mqgw-')), 'nested/secret');
    const a = readGatewayConfig({ DEV_SECRET_FILE: file });
    const b = readGatewayConfig({ DEV_SECRET_FILE: file });
    expect(a.pipeline.jwt.devSecret).toBe(true);
    expect(a.pipeline.jwt.secret).toHaveLength(43);
    expect(b.pipeline.jwt.secret).toBe(a.pipeline.jwt.secret);
    expect(readFileSync(file, 'utf8').trim()).toBe(a.pipeline.jwt.secret);
    expect(readOrCreateDevSecret(file)).toBe(a.pipeline.jwt.secret);
    expect(a.pipeline.jwt.devSecretFile).toBe(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('keeps the development secret readable by its owner only, even an older file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'mqgw-')), 'secret');
    writeFileSync(file, `${'s'.repeat(40)}\n`, { mode: 0o644 });
    expect(readGatewayConfig({ DEV_SECRET_FILE: file }).pipeline.jwt.secret).toBe('s'.repeat(40));
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('defaults SERVICES to the local stub services only when there is no registry', () => {
    expect(
      readGatewayConfig({ JWT_SECRET: SECRET }).discovery.staticInstances.map((i) => i.service),
    ).toEqual([
      'user-service',
      'user-service-v2',
      'order-service',
      'order-service-v2',
      'payment-service',
      'notification-service',
    ]);
    expect(
      readGatewayConfig({ JWT_SECRET: SECRET, REDIS_URL: 'redis://r:6379' }).discovery
        .staticInstances,
    ).toEqual([]);
  });

  it('parses origins and static services', () => {
    const config = readGatewayConfig({
      JWT_SECRET: SECRET,
      ALLOWED_ORIGINS: 'https://a.example,https://b.example',
      SERVICES: 'user-service=http://127.0.0.1:3001',
    });
    expect(config.pipeline.allowedOrigins).toEqual(
      new Set(['https://a.example', 'https://b.example']),
    );
    expect(config.discovery.staticInstances.map((i) => i.url)).toEqual(['http://127.0.0.1:3001']);
  });
});
