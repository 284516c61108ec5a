import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  ApiKeyStore,
  BoundedCache,
  JwtVerifier,
  isAuthError,
  refusalMessage,
  type Identity,
} from '@mqgw/auth';
import { GatewayError, isGatewayError } from '@mqgw/contracts';
import { SampledLog } from '@mqgw/logging';
import type { RateLimiter } from '@mqgw/rate-limit';
import { RATE_LIMITER } from '../state/state.tokens';
import { COMMANDS_CONFIG, type CommandsConfig } from './commands.config';

const BEARER = /^Bearer ([^\s]+)$/i;
/** Remote addresses whose failure budget is spent, kept at most this many. */
const BLOCKED_MAX = 10_000;

/**
 * Who calls the HTTP side: a bearer JWT or an API key, verified by the same `JwtVerifier`
 * and `ApiKeyStore` as on MQTT. Over HTTP the gateway knows the remote address, so failures
 * are budgeted per address (`COMMAND_AUTH_FAILURE_LIMIT` per `AUTH_FAILURE_WINDOW_SECONDS`):
 * a client that floods bad credentials is slowed down alone, and a valid credential is
 * never refused by any budget.
 */
@Injectable()
export class CommandCallerAuth {
  private readonly blocked = new BoundedCache<number>(BLOCKED_MAX, () => Date.now());
  /** As on MQTT (`AuthGuard`): the kind of failure and the address, never the credential. */
  private readonly refusals = new SampledLog((line) => new Logger('CommandAuth').warn(line));

  constructor(
    private readonly jwt: JwtVerifier,
    private readonly apiKeys: ApiKeyStore,
    @Inject(RATE_LIMITER) private readonly limiter: RateLimiter,
    @Inject(COMMANDS_CONFIG) private readonly config: CommandsConfig,
  ) {}

  /** The caller's identity, or a `GatewayError` (401, 429 for a spent address, 503). */
  async authenticate(
    authorization: string | undefined,
    apiKey: string | undefined,
    address: string,
  ): Promise<Identity> {
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
      if (isAuthError(error) && error.reason === 'unavailable') {
        throw new GatewayError('SERVICE_UNAVAILABLE', 'authentication is temporarily unavailable', {
          retryAfter: 5,
        });
      }
      throw await this.failed(
        address,
        isAuthError(error)
          ? refusalMessage(error, authorization === undefined ? 'api-key' : 'token')
          : error.message,
      );
    }
    throw await this.failed(address, 'missing credentials: send authorization or x-api-key');
  }

  /** UNAUTHORIZED, or RATE_LIMITED once this address has spent its failures. */
  private async failed(address: string, message: string): Promise<GatewayError> {
    this.refusals.log(message, () => `refused (${message}) from ${address}`);
    const until = this.blocked.get(address);
    let wait = until === undefined ? undefined : until - Date.now();
    if (wait === undefined) {
      try {
        const decision = await this.limiter.consume(
          `command-auth-failures|${address}`,
          this.config.authFailures,
        );
        if (!decision.allowed) {
          wait = decision.retryAfterMs;
          this.blocked.set(address, Date.now() + wait, Date.now() + wait);
        }
      } catch {
        // A limiter that cannot count spends nothing: the failure stays UNAUTHORIZED.
      }
    }
    if (wait !== undefined && wait > 0) {
      return new GatewayError('RATE_LIMITED', 'too many failed authentications; retry later', {
        retryAfter: Math.max(1, Math.ceil(wait / 1000)),
      });
    }
    return new GatewayError('UNAUTHORIZED', message);
  }
}
