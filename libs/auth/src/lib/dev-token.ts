import { SignJWT } from 'jose';

export interface DevTokenOptions {
  secret: string;
  sub: string;
  scopes?: readonly string[];
  expiresInSeconds?: number;
  issuer?: string;
  audience?: string;
}

/** Mints an HS256 token, for development and tests; production tokens come from your IdP. */
export async function mintDevToken(options: DevTokenOptions): Promise<string> {
  let jwt = new SignJWT({ scope: (options.scopes ?? []).join(' ') })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + (options.expiresInSeconds ?? 3600));
  if (options.issuer) jwt = jwt.setIssuer(options.issuer);
  if (options.audience) jwt = jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(options.secret));
}
