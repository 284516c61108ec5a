import {
  Inject,
  Injectable,
  Logger,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { from, lastValueFrom, type Observable } from 'rxjs';
import type { CircuitBreaker, Permit } from '@mqgw/breaker';
import { GatewayError, isGatewayError } from '@mqgw/contracts';
import { CIRCUIT_BREAKER } from '../tokens';
import type { GatewayRequest } from '../transport/gateway-request';

/** Outcomes that count against a service: it could not be reached, failed (5xx) or hung. */
function isServiceFailure(error: unknown): boolean {
  return (
    isGatewayError(error) && (error.code === 'UPSTREAM_ERROR' || error.code === 'GATEWAY_TIMEOUT')
  );
}

/**
 * The `breaker` step, innermost around the upstream call. An open circuit answers
 * SERVICE_UNAVAILABLE at once with `retry_after`; 4xx answers count as successes. If the
 * breaker's own store fails, the call goes ahead (fail open) and the failure is logged.
 */
@Injectable()
export class BreakerInterceptor implements NestInterceptor {
  private readonly logger = new Logger('Breaker');

  constructor(@Inject(CIRCUIT_BREAKER) private readonly breaker: CircuitBreaker) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToRpc().getContext<GatewayRequest>();
    const service = req.route.service;
    if (!service || !req.route.middleware.has('breaker')) return next.handle();
    return from(this.guard(service, next));
  }

  private async guard(service: string, next: CallHandler): Promise<unknown> {
    let permit: Permit;
    try {
      permit = await this.breaker.acquire(service);
    } catch (error) {
      this.logger.warn(
        `breaker store unavailable, letting ${service} through: ${(error as Error).message}`,
      );
      return lastValueFrom(next.handle());
    }
    if (!permit.allowed) {
      throw new GatewayError('SERVICE_UNAVAILABLE', `circuit open for ${service}`, {
        retryAfter: Math.max(1, Math.ceil(permit.retryAfterMs / 1000)),
      });
    }
    try {
      const reply = await lastValueFrom(next.handle());
      await this.record(service, true, permit);
      return reply;
    } catch (error) {
      const noInstance = isGatewayError(error) && error.code === 'SERVICE_UNAVAILABLE';
      if (!noInstance) await this.record(service, !isServiceFailure(error), permit);
      throw error;
    }
  }

  private async record(service: string, success: boolean, permit: Permit): Promise<void> {
    await this.breaker.record(service, success, permit).catch((error: Error) => {
      this.logger.warn(
        `breaker store unavailable, outcome for ${service} not counted: ${error.message}`,
      );
    });
  }
}
