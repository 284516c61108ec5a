import { Injectable, Logger, type CanActivate, type ExecutionContext } from '@nestjs/common';
import {
  ApiKeyStore,
  DeviceStore,
  JwtVerifier,
  isAuthError,
  refusalMessage,
  type Identity,
} from '@mqgw/auth';
import { GatewayError, REQUEST_HEADER, isGatewayError } from '@mqgw/contracts';
import { SampledLog, forRequest } from '@mqgw/logging';
import type { GatewayRequest, Principal } from '../../request/gateway-request';
import { replySpaceOf } from '../../request/reply-space';
import { UnanswerableRequest } from '../../request/unanswerable';
import { requestOf } from '../pipeline-step';
import { AuthFailures } from './auth-failures';

const BEARER = /^Bearer ([^\s]+)$/i;
/** What may go upstream as `X-User-ID` or one of `X-User-Scopes`: printable ASCII, no space. */
const SENDABLE = /^[\x21-\x7e]{1,256}$/;
const KEY_ID = /^mqgw_([0-9a-f]{12})_/;

/**
 * `auth`: a bearer JWT in `authorization`, or an API key in `x-api-key`. The verified
 * identity becomes the request's principal; nothing the client sends can set it
 * otherwise. Then the route's scopes are checked. Routes that allow anonymous callers (the
 * `gateway/*` group) take a request without credentials as anonymous, and verify any that
 * come. A request under the device namespace is its device's: the broker authenticated it,
 * and it carries no credentials.
 *
 * A reply topic bound to a user (`replies/{user}/#`) must be the caller's own, and an
 * anonymous caller has none: such a request is neither run nor answered. Failures are
 * counted per source (`AuthFailures`, no I/O) and logged sampled.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  // At warn: a refused credential is usually a client set up wrong, which its operator should
  // see at the default level. The line names the kind of failure, never the credential.
  private readonly refusals = new SampledLog((line) => new Logger('Auth').warn(line));

  constructor(
    private readonly jwt: JwtVerifier,
    private readonly apiKeys: ApiKeyStore,
    private readonly failures: AuthFailures,
    private readonly devices: DeviceStore,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = requestOf(context);
    const anonymous =
      req.device === undefined &&
      req.route.allowAnonymous &&
      req.headers[REQUEST_HEADER.authorization] === undefined &&
      req.headers[REQUEST_HEADER.apiKey] === undefined;
    if (anonymous) {
      if (req.replyOwner !== undefined) throw new UnanswerableRequest('unauthenticated_reply');
      return true;
    }
    const identity =
      req.device !== undefined
        ? await this.identifyDevice(req, req.device)
        : await this.authenticate(req);
    // Checked before anything else: not even an error of this caller's may land in
    // another's reply space.
    if (req.replyOwner !== undefined && req.replyOwner !== identity.userId) {
      throw new UnanswerableRequest('not_your_reply_space');
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
    req.identify(toPrincipal(identity));
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
      if (isAuthError(error) && error.reason === 'unavailable') throw unavailable();
      throw error;
    }
  }

  private async authenticate(req: GatewayRequest): Promise<Identity> {
    const authorization = req.headers[REQUEST_HEADER.authorization];
    const apiKey = req.headers[REQUEST_HEADER.apiKey];
    try {
      if (authorization !== undefined) {
        const bearer = BEARER.exec(authorization);
        if (!bearer) {
          throw new GatewayError('UNAUTHORIZED', 'authorization must be "Bearer <token>"');
        }
        return await this.jwt.verify(bearer[1]);
      }
      if (apiKey !== undefined) return await this.apiKeys.verify(apiKey);
    } catch (error) {
      if (!isAuthError(error) && !isGatewayError(error)) throw error;
      if (isAuthError(error) && error.reason === 'unavailable') throw unavailable();
      const viaKey = apiKey !== undefined && authorization === undefined;
      const message = isAuthError(error)
        ? refusalMessage(error, viaKey ? 'api-key' : 'token')
        : error.message;
      throw this.failed(req, message, viaKey ? KEY_ID.exec(apiKey)?.[1] : undefined);
    }
    throw this.failed(req, 'missing credentials: send authorization or x-api-key');
  }

  /** UNAUTHORIZED, or RATE_LIMITED once this source has spent its failures. */
  private failed(req: GatewayRequest, message: string, keyId?: string): GatewayError {
    const source =
      req.replyTopic !== undefined ? replySpaceOf(req.replyTopic) : keyId ? `key:${keyId}` : 'none';
    this.refusals.log(message, () =>
      forRequest(req.requestId, `refused (${message}) on ${req.route.template}`, req.traceIds),
    );
    const wait = this.failures.spend(source);
    if (wait !== undefined) return refusal(`limited:${wait}`, () => tooManyFailures(wait));
    return refusal(message, () => new GatewayError('UNAUTHORIZED', message));
  }
}

/**
 * Each refusal built once (its messages and waits are a small set; 256 kept at most): a
 * flood of bad credentials costs no stack trace per request.
 */
const REFUSALS = new Map<string, GatewayError>();
function refusal(key: string, build: () => GatewayError): GatewayError {
  let error = REFUSALS.get(key);
  if (!error) {
    error = build();
    if (REFUSALS.size < 256) REFUSALS.set(key, error);
  }
  return error;
}

function tooManyFailures(wait: number): GatewayError {
  return new GatewayError('RATE_LIMITED', 'too many failed authentications; retry later', {
    retryAfter: wait,
  });
}

function unavailable(): GatewayError {
  return new GatewayError('SERVICE_UNAVAILABLE', 'authentication is temporarily unavailable', {
    retryAfter: 5,
  });
}

function toPrincipal(identity: Identity): Principal {
  return {
    id: identity.principalId,
    kind: identity.kind,
    userId: identity.userId,
    scopes: identity.scopes,
  };
}
