import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, exportSPKI, generateKeyPair, type KeyLike } from 'jose';
import { createHmac } from 'node:crypto';
import { AuthError } from './auth-error';
import { mintDevToken } from './dev-token';
import { JwtVerifier } from './jwt.verifier';

const SECRET = 'test-secret-that-is-long-enough-for-hs256';
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

function hmacVerifier(overrides: Partial<ConstructorParameters<typeof JwtVerifier>[0]> = {}) {
  return new JwtVerifier({
    secret: SECRET,
    algorithms: ['HS256'],
    clockToleranceSeconds: 5,
    cacheMax: 100,
    cacheTtlSeconds: 60,
    ...overrides,
  });
}

async function reason(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError);
    return (error as AuthError).reason;
  }
}

describe('JwtVerifier with HS256', () => {
  it('accepts a valid token and maps sub and scopes', async () => {
    const token = await mintDevToken({
      secret: SECRET,
      sub: 'u-1',
      scopes: ['admin', 'payments:refund'],
    });
    const identity = await hmacVerifier().verify(token);
    expect(identity).toMatchObject({
      principalId: 'user:u-1',
      userId: 'u-1',
      kind: 'user',
      scopes: ['admin', 'payments:refund'],
    });
  });

  it('rejects expired, not-yet-valid, future-issued and wrong-secret tokens', async () => {
    const now = Math.floor(Date.now() / 1000);
    const sign = (build: (jwt: SignJWT) => SignJWT, secret = SECRET) =>
      build(new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('u')).sign(
        new TextEncoder().encode(secret),
      );
    const v = hmacVerifier();
    expect(await reason(v.verify(await sign((j) => j.setExpirationTime(now - 60))))).toBe(
      'expired',
    );
    expect(
      await reason(
        v.verify(await sign((j) => j.setExpirationTime(now + 60).setNotBefore(now + 60))),
      ),
    ).toBe('invalid');
    expect(
      await reason(
        v.verify(await sign((j) => j.setExpirationTime(now + 600).setIssuedAt(now + 300))),
      ),
    ).toBe('invalid');
    expect(
      await reason(
        v.verify(
          await sign((j) => j.setExpirationTime(now + 60), 'another-secret-another-secret!!'),
        ),
      ),
    ).toBe('signature');
  });

  it('rejects alg none, a missing sub, and malformed tokens', async () => {
    const now = Math.floor(Date.now() / 1000);
    const v = hmacVerifier();
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'u', exp: now + 60 })}.`;
    expect(await reason(v.verify(none))).toBe('invalid');
    const noSub = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(now + 60)
      .sign(new TextEncoder().encode(SECRET));
    expect(await reason(v.verify(noSub))).toBe('invalid');
    expect(await reason(v.verify('not-a-jwt'))).toBe('malformed');
    expect(await reason(v.verify(`${'%%%'}.${b64({ sub: 'u' })}.x`))).toBe('malformed');
    expect(
      await reason(v.verify(`${b64({ alg: 'HS256' }).slice(0, 5)}.${b64({ sub: 'u' })}.abc`)),
    ).toBe('malformed');
    expect(await reason(v.verify('a.b.c'))).toBe('malformed');
  });

  it('checks issuer and audience when configured', async () => {
    const v = hmacVerifier({ issuer: 'https://idp', audience: 'mqgw' });
    const good = await mintDevToken({
      secret: SECRET,
      sub: 'u',
      issuer: 'https://idp',
      audience: 'mqgw',
    });
    const bad = await mintDevToken({
      secret: SECRET,
      sub: 'u',
      issuer: 'https://other',
      audience: 'mqgw',
    });
    expect(await reason(v.verify(good))).toBe('accepted');
    expect(await reason(v.verify(bad))).toBe('invalid');
  });

  it('never serves a cached token after its exp', async () => {
    let now = Date.now();
    const v = hmacVerifier({ now: () => now, clockToleranceSeconds: 0 });
    const token = await mintDevToken({ secret: SECRET, sub: 'u', expiresInSeconds: 10 });
    await v.verify(token);
    now += 5_000;
    expect(await reason(v.verify(token))).toBe('accepted');
    now += 6_000;
    expect(await reason(v.verify(token))).toBe('expired');
  });

  it('remembers tokens refused for good, within its bounds, and nothing that may still turn valid', async () => {
    let now = Date.now();
    const v = hmacVerifier({ now: () => now, clockToleranceSeconds: 0 });
    const seconds = Math.floor(now / 1000);
    const key = new TextEncoder().encode(SECRET);
    // Issued 3 s ahead: refused now, valid from 3 s on; never remembered.
    const early = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u')
      .setIssuedAt(seconds + 3)
      .setExpirationTime(seconds + 60)
      .sign(key);
    expect(await reason(v.verify(early))).toBe('invalid');
    expect(v.rememberedRefusals).toBe(0);
    now += 4_000;
    expect(await reason(v.verify(early))).toBe('accepted');
    // A bad signature is remembered, once however often it comes; a token over 1 KiB is not.
    const forged = await mintDevToken({ secret: `${SECRET}-other`, sub: 'u' });
    for (let i = 0; i < 3; i++) expect(await reason(v.verify(forged))).toBe('signature');
    expect(v.rememberedRefusals).toBe(1);
    const long = await new SignJWT({ pad: 'x'.repeat(1200) })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u')
      .setExpirationTime(seconds + 60)
      .sign(new TextEncoder().encode(`${SECRET}-other`));
    expect(await reason(v.verify(long))).toBe('signature');
    expect(v.rememberedRefusals).toBe(1);
    // A header with whitespace in its JSON is a JWS as any other.
    const spaced = `${Buffer.from('{\n  "alg": "HS256"\n}').toString('base64url')}.${b64({ sub: 'u', exp: seconds + 60 })}`;
    const signature = createHmac('sha256', SECRET).update(spaced).digest('base64url');
    expect(await reason(v.verify(`${spaced}.${signature}`))).toBe('accepted');
    // With the cache off, nothing is remembered either.
    const off = hmacVerifier({ cacheMax: 0 });
    expect(await reason(off.verify(forged))).toBe('signature');
    expect(off.rememberedRefusals).toBe(0);
  });

  it('refuses to be configured with none or with mixed key types', () => {
    expect(() => hmacVerifier({ algorithms: ['none'] })).toThrow();
    expect(() => hmacVerifier({ algorithms: ['RS256'] })).toThrow('HS*');
  });
});

describe('JwtVerifier with a JWKS', () => {
  let server: Server;
  let jwks: { keys: object[] };
  let fetches = 0;
  let url: string;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      fetches++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(jwks));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  async function keyWithKid(kid: string, alg = 'RS256') {
    const { publicKey, privateKey } = await generateKeyPair(alg);
    return {
      kid,
      publicKey,
      privateKey,
      jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' },
    };
  }

  const sign = (privateKey: KeyLike, kid: string, alg = 'RS256') =>
    new SignJWT({ scope: 'read' })
      .setProtectedHeader({ alg, kid })
      .setSubject('u-9')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);

  it('verifies RS256 and ES256, and picks up a rotated key by its new kid', async () => {
    const first = await keyWithKid('k1');
    const ec = await keyWithKid('e1', 'ES256');
    jwks = { keys: [first.jwk, ec.jwk] };
    const v = new JwtVerifier({
      jwksUrl: url,
      algorithms: ['RS256', 'ES256'],
      clockToleranceSeconds: 5,
      jwksCooldownMs: 0,
      cacheMax: 0,
      cacheTtlSeconds: 0,
    });
    expect((await v.verify(await sign(first.privateKey, 'k1'))).userId).toBe('u-9');
    expect((await v.verify(await sign(ec.privateKey, 'e1', 'ES256'))).scopes).toEqual(['read']);

    const second = await keyWithKid('k2');
    jwks = { keys: [second.jwk] };
    const before = fetches;
    expect((await v.verify(await sign(second.privateKey, 'k2'))).userId).toBe('u-9');
    expect(fetches).toBeGreaterThan(before);
  });

  it('rejects algorithm confusion: HS256 signed with the RSA public key', async () => {
    const key = await keyWithKid('k3');
    jwks = { keys: [key.jwk] };
    const v = new JwtVerifier({
      jwksUrl: url,
      algorithms: ['RS256'],
      clockToleranceSeconds: 5,
      cacheMax: 0,
      cacheTtlSeconds: 0,
    });
    const pem = await exportSPKI(key.publicKey);
    const header = b64({ alg: 'HS256', typ: 'JWT', kid: 'k3' });
    const payload = b64({ sub: 'attacker', exp: Math.floor(Date.now() / 1000) + 60 });
    const signature = createHmac('sha256', pem).update(`${header}.${payload}`).digest('base64url');
    expect(await reason(v.verify(`${header}.${payload}.${signature}`))).toBe('invalid');
  });
});
