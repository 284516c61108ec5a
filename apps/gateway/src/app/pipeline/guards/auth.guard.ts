import { Injectable, Logger } from '@nestjs/common';
import { ApiKeyStore, JwtVerifier, isAuthError, type Identity } from '@mqgw/auth';
import { GatewayError, REQUEST_HEADER } from '@mqgw/contracts';
import { forRequest } from '@mqgw/logging';
import type { GatewayRequest } from '../../request/gateway-request';
import { PipelineGuard } from '../pipeline-step';

const BEARER = /^Bearer ([^\s]+)$/i;

/**
 * `auth`: a bearer JWT in `authorization`, or an API key in `x-api-key`. The verified
 * identity becomes the request's principal; nothing the client sends can set it
 * otherwise. Then the route's scopes are checked.
 */
@Injectable()
export class AuthGuard extends PipelineGuard {
  readonly step = 'auth' as const;
  private readonly logger = new Logger('Auth');

  constructor(
    private readonly jwt: JwtVerifier,
    private readonly apiKeys: ApiKeyStore,
  ) {
    super();
  }

  protected async check(req: GatewayRequest): Promise<boolean> {
    const identity = await this.authenticate(req);
    req.principal = {
      id: identity.principalId,
      kind: identity.kind,
      userId: identity.userId,
      scopes: identity.scopes,
    };
    const missing = req.route.scopes.filter((scope) => !identity.scopes.includes(scope));
    if (missing.length > 0) {
      throw new GatewayError('FORBIDDEN', `missing required scope: ${missing.join(', ')}`);
    }
    return true;
  }

  private async authenticate(req: GatewayRequest): Promise<Identity> {
    const authorization = req.headers[REQUEST_HEADER.authorization];
    const apiKey = req.headers[REQUEST_HEADER.apiKey];
    try {
      if (authorization !== undefined) {
        const bearer = BEARER.exec(authorization);
        if (!bearer)
          throw new GatewayError('UNAUTHORIZED', 'authorization must be "Bearer <token>"');
        return await this.jwt.verify(bearer[1]);
      }
      if (apiKey !== undefined) return await this.apiKeys.verify(apiKey);
    } catch (error) {
      if (!isAuthError(error)) throw error;
      this.logger.debug(forRequest(req.requestId, `refused: ${error.reason}`));
      if (error.reason === 'unavailable') {
        throw new GatewayError('SERVICE_UNAVAILABLE', 'authentication is temporarily unavailable', {
          retryAfter: 5,
        });
      }
      throw new GatewayError(
        'UNAUTHORIZED',
        apiKey !== undefined && authorization === undefined
          ? 'invalid API key'
          : 'invalid or expired token',
      );
    }
    throw new GatewayError('UNAUTHORIZED', 'missing credentials: send authorization or x-api-key');
  }
}
