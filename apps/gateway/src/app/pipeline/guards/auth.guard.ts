import { Injectable, Logger } from '@nestjs/common';
import { ApiKeyStore, DeviceStore, JwtVerifier, isAuthError, type Identity } from '@mqgw/auth';
import { GatewayError, REQUEST_HEADER, isGatewayError } from '@mqgw/contracts';
import { forRequest } from '@mqgw/logging';
import type { GatewayRequest, Principal } from '../../request/gateway-request';
import { PipelineGuard } from '../pipeline-step';
import { AuthFailureBudget } from './auth-failure.budget';

const BEARER = /^Bearer ([^\s]+)$/i;
/** What may go upstream as `X-User-ID` or one of `X-User-Scopes`: printable ASCII, no space. */
const SENDABLE = /^[\x21-\x7e]{1,256}$/;

/**
 * `auth`: a bearer JWT in `authorization`, or an API key in `x-api-key`. The verified
 * identity becomes the request's principal; nothing the client sends can set it
 * otherwise. Then the route's scopes are checked. Routes that allow anonymous callers (the
 * `gateway/*` group) take a request without credentials as anonymous, and verify any that
 * come. Failures spend the deployment's `AuthFailureBudget`. A request under the device
 * namespace is its device's: the broker authenticated it, and it carries no credentials.
 */
@Injectable()
export class AuthGuard extends PipelineGuard {
  readonly step = 'auth' as const;
  private readonly logger = new Logger('Auth');

  constructor(
    private readonly jwt: JwtVerifier,
    private readonly apiKeys: ApiKeyStore,
    private readonly failures: AuthFailureBudget,
    private readonly devices: DeviceStore,
  ) {
    super();
  }

  protected async check(req: GatewayRequest): Promise<boolean> {
    const anonymous =
      req.device === undefined &&
      req.route.allowAnonymous &&
      req.headers[REQUEST_HEADER.authorization] === undefined &&
      req.headers[REQUEST_HEADER.apiKey] === undefined;
    if (anonymous) return true;
    const identity =
      req.device !== undefined
        ? await this.identifyDevice(req, req.device)
        : await this.authenticate(req);
    // A reply topic bound to a user (`replies/{user}/#`) must be the caller's own; checked
    // first, so that not even an error reply of this caller's lands in another's space.
    if (req.replyOwner !== undefined && req.replyOwner !== identity.userId) {
      throw new GatewayError('FORBIDDEN', 'the reply topic is in another reply space', {
        reason: 'reply_not_owned',
      });
    }
    // The principal travels upstream in headers: what cannot be sent is the caller's error,
    // refused here, before it could reach (and count against) a service.
    if (!SENDABLE.test(identity.userId) || !identity.scopes.every((s) => SENDABLE.test(s))) {
      throw new GatewayError(
        'BAD_REQUEST',
        'the credential’s subject or scopes cannot be passed to a service',
        { reason: 'invalid_request' },
      );
    }
    req.principal = toPrincipal(identity);
    return this.authorize(req);
  }

  /** The route's scopes, all of them. */
  private authorize(req: GatewayRequest): boolean {
    const { scopes } = req.principal;
    const missing = req.route.scopes.filter((scope) => !scopes.includes(scope));
    if (missing.length > 0) {
      throw new GatewayError('FORBIDDEN', `missing required scope: ${missing.join(', ')}`);
    }
    return true;
  }

  /**
   * A device's identity: its name from the topic, which the broker enforces, and its scopes
   * from the device store. Credentials on a device request would make two identities: the
   * request is refused rather than either being picked.
   */
  private async identifyDevice(req: GatewayRequest, device: string): Promise<Identity> {
    if (
      req.headers[REQUEST_HEADER.authorization] !== undefined ||
      req.headers[REQUEST_HEADER.apiKey] !== undefined
    ) {
      throw new GatewayError(
        'BAD_REQUEST',
        'a device request carries no credentials: the broker identified the device',
        { reason: 'invalid_request' },
      );
    }
    try {
      return await this.devices.identify(device);
    } catch (error) {
      if (isAuthError(error) && error.reason === 'unavailable') {
        throw new GatewayError('SERVICE_UNAVAILABLE', 'authentication is temporarily unavailable', {
          retryAfter: 5,
        });
      }
      throw error;
    }
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
      if (!isAuthError(error) && !isGatewayError(error)) throw error;
      const reason = isAuthError(error) ? error.reason : 'malformed';
      this.logger.debug(forRequest(req.requestId, `refused: ${reason}`));
      if (reason === 'unavailable') {
        throw new GatewayError('SERVICE_UNAVAILABLE', 'authentication is temporarily unavailable', {
          retryAfter: 5,
        });
      }
      throw await this.failed(
        isGatewayError(error)
          ? error.message
          : apiKey !== undefined && authorization === undefined
            ? 'invalid API key'
            : 'invalid or expired token',
        reason === 'throttled',
      );
    }
    throw await this.failed('missing credentials: send authorization or x-api-key');
  }

  /** UNAUTHORIZED, or RATE_LIMITED once failures have spent the budget. */
  private async failed(message: string, throttled = false): Promise<GatewayError> {
    const wait = throttled ? this.failures.retryAfterSeconds : await this.failures.spend();
    if (wait !== undefined) {
      return new GatewayError('RATE_LIMITED', 'too many failed authentications; retry later', {
        retryAfter: wait,
      });
    }
    return new GatewayError('UNAUTHORIZED', message);
  }
}

function toPrincipal(identity: Identity): Principal {
  return {
    id: identity.principalId,
    kind: identity.kind,
    userId: identity.userId,
    scopes: identity.scopes,
  };
}
