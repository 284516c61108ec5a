import { Inject, Injectable, Logger } from '@nestjs/common';
import type { CircuitBreaker, Permit } from '@mqgw/breaker';
import { GatewayError, isGatewayError } from '@mqgw/contracts';
import { forRequest } from '@mqgw/logging';
import { CIRCUIT_BREAKER } from '../tokens';
import type { GatewayRequest } from '../transport/gateway-request';
import type { InterceptorStep, Next } from './interceptor-step';

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
export class BreakerInterceptor implements InterceptorStep {
  private readonly logger = new Logger('Breaker');

  constructor(@Inject(CIRCUIT_BREAKER) private readonly breaker: CircuitBreaker) {}

  async intercept(req: GatewayRequest, _body: unknown, next: Next): Promise<unknown> {
    const service = req.route.service;
    if (!service || !req.route.middleware.has('breaker')) return next();
    let permit: Permit;
    try {
      permit = await this.breaker.acquire(service);
    } catch (error) {
      this.logger.warn(
        forRequest(
          req.requestId,
          `breaker store unavailable, letting ${service} through: ${(error as Error).message}`,
        ),
      );
      return next();
    }
    if (!permit.allowed) {
      throw new GatewayError('SERVICE_UNAVAILABLE', `circuit open for ${service}`, {
        retryAfter: Math.max(1, Math.ceil(permit.retryAfterMs / 1000)),
      });
    }
    try {
      const reply = await next();
      await this.record(req, service, true, permit);
      return reply;
    } catch (error) {
      const noInstance = isGatewayError(error) && error.code === 'SERVICE_UNAVAILABLE';
      if (!noInstance) await this.record(req, service, !isServiceFailure(error), permit);
      throw error;
    }
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
        ),
      );
    });
  }
}
