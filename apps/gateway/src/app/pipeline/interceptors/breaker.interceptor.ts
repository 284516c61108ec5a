import {
  Inject,
  Injectable,
  Logger,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { CircuitBreaker, Permit } from '@mqgw/breaker';
import { GatewayError, classifyFailure } from '@mqgw/contracts';
import { forRequest } from '@mqgw/logging';
import type { GatewayRequest } from '../../request/gateway-request';
import { CIRCUIT_BREAKER } from '../../state/state.tokens';
import { promised, requestOf, settled } from '../pipeline-step';

/**
 * `breaker`, innermost around the upstream call. An open circuit answers
 * SERVICE_UNAVAILABLE at once with `retry_after`. Outcomes are counted as `classifyFailure`
 * says: only the service's own failures count, and a caller's error never does. If the
 * breaker's own store fails, the call goes ahead (fail open) and the failure is logged.
 */
@Injectable()
export class BreakerInterceptor implements NestInterceptor {
  private readonly logger = new Logger('Breaker');

  constructor(@Inject(CIRCUIT_BREAKER) private readonly breaker: CircuitBreaker) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return promised(this.guard(requestOf(context), next));
  }

  private async guard(req: GatewayRequest, next: CallHandler): Promise<unknown> {
    const service = req.service;
    if (!service) return settled(next);
    let permit: Permit;
    try {
      permit = await this.breaker.acquire(service);
    } catch (error) {
      this.logger.warn(
        forRequest(
          req.requestId,
          `breaker store unavailable, letting ${service} through: ${(error as Error).message}`,
          req.traceIds,
        ),
      );
      return settled(next);
    }
    if (!permit.allowed) {
      throw new GatewayError('SERVICE_UNAVAILABLE', `circuit open for ${service}`, {
        retryAfter: Math.max(1, Math.ceil(permit.retryAfterMs / 1000)),
        reason: 'circuit_open',
      });
    }
    try {
      const reply = await settled(next);
      await this.record(req, service, true, permit);
      return reply;
    } catch (error) {
      // Only what the service did counts: its failures, and its answers as successes.
      // An error the caller caused before anything was sent counts neither way.
      const failure = classifyFailure(error);
      if (failure.serviceFailure) await this.record(req, service, false, permit);
      else if (failure.serviceAnswered) await this.record(req, service, true, permit);
      else await this.release(service, permit);
      throw error;
    }
  }

  /** A half-open probe that proved nothing must not hold the probe slot. */
  private async release(service: string, permit: Permit): Promise<void> {
    if (!permit.allowed || !permit.probe) return;
    await this.breaker.release(service, permit).catch(() => undefined);
  }

  private async record(
    req: GatewayRequest,
    service: string,
    success: boolean,
    permit: Permit,
  ): Promise<void> {
    await this.breaker.record(service, success, permit).catch((error: Error) => {
      this.logger.warn(
        forRequest(
          req.requestId,
          `breaker store unavailable, outcome for ${service} not counted: ${error.message}`,
          req.traceIds,
        ),
      );
    });
  }
}
