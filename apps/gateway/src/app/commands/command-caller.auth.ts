import { Inject, Injectable } from '@nestjs/common';
import { ApiKeyStore, BoundedCache, JwtVerifier, isAuthError, type Identity } from '@mqgw/auth';
import { GatewayError, isGatewayError } from '@mqgw/contracts';
import type { RateLimiter } from '@mqgw/rate-limit';
import { PIPELINE_CONFIG, type PipelineConfig } from '../pipeline/pipeline.config';
import type { KvStore } from '@mqgw/store';
import { KV_STORE, RATE_LIMITER } from '../state/state.tokens';
import { COMMANDS_CONFIG, type CommandsConfig } from './commands.config';

const BEARER = /^Bearer ([^\s]+)$/i;
/** Remote addresses whose failure budget is spent, kept at most this many. */
const BLOCKED_MAX = 10_000;

/**
 * Who calls the HTTP side: a bearer JWT or an API key, verified by the same `JwtVerifier`
 * and the same kind of `ApiKeyStore` as on MQTT. Over HTTP the gateway knows the remote
 * address, so failures are budgeted per address (`COMMAND_AUTH_FAILURE_LIMIT` per
 * `AUTH_FAILURE_WINDOW_SECONDS`), not for the whole deployment: a client that floods bad
 * credentials is slowed down alone and never locks anyone else out. That is why the API
 * key store here is its own instance: the MQTT side's asks the deployment-wide budget before
 * a lookup, which an MQTT client could spend; this one asks the caller's address's budget.
 */
@Injectable()
export class CommandCallerAuth {
  private readonly apiKeys: ApiKeyStore;
  private readonly blocked = new BoundedCache<number>(BLOCKED_MAX, () => Date.now());
  /** Read synchronously by `mayLookUp`, set just before each key's verification. */
  private lookupOpen = true;

  constructor(
    private readonly jwt: JwtVerifier,
    @Inject(RATE_LIMITER) private readonly limiter: RateLimiter,
    @Inject(COMMANDS_CONFIG) private readonly config: CommandsConfig,
    @Inject(PIPELINE_CONFIG) pipeline: PipelineConfig,
    @Inject(KV_STORE) kv: KvStore,
  ) {
    this.apiKeys = new ApiKeyStore(kv, {
      cacheTtlSeconds: pipeline.apiKeyCacheTtlSeconds,
      cacheMax: pipeline.authCache.max,
      negativeTtlSeconds: pipeline.apiKeyNegativeCacheSeconds,
      mayLookUp: () => this.lookupOpen,
    });
  }

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
      if (apiKey !== undefined) {
        this.lookupOpen = this.blocked.get(address) === undefined;
        return await this.apiKeys.verify(apiKey);
      }
    } catch (error) {
      if (!isAuthError(error) && !isGatewayError(error)) throw error;
      if (isAuthError(error) && error.reason === 'unavailable') {
        throw new GatewayError('SERVICE_UNAVAILABLE', 'authentication is temporarily unavailable', {
          retryAfter: 5,
        });
      }
      throw await this.failed(
        address,
        isGatewayError(error)
          ? error.message
          : authorization === undefined
            ? 'invalid API key'
            : 'invalid or expired token',
      );
    }
    throw await this.failed(address, 'missing credentials: send authorization or x-api-key');
  }

  /** UNAUTHORIZED, or RATE_LIMITED once this address has spent its failures. */
  private async failed(address: string, message: string): Promise<GatewayError> {
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
