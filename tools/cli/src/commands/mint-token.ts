import { mintDevToken, readDevSecret } from '@mqgw/auth';
import type { CliEnv } from '../cli.config';
import { UsageError } from './connections';

export async function mintToken(env: CliEnv, sub: string, scopes: string[], ttl: number) {
  const secret = env.JWT_SECRET ?? readDevSecret(env.DEV_SECRET_FILE);
  if (!secret) {
    throw new UsageError(
      'no secret: set JWT_SECRET (or JWT_SECRET_FILE), or start the gateway once so it writes the development secret',
    );
  }
  return mintDevToken({
    secret,
    sub,
    scopes,
    expiresInSeconds: ttl,
    ...(env.JWT_ISSUER ? { issuer: env.JWT_ISSUER } : {}),
    ...(env.JWT_AUDIENCE ? { audience: env.JWT_AUDIENCE } : {}),
  });
}
