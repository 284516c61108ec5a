import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { Observable } from 'rxjs';
import { GatewayError, classifyFailure } from '@mqgw/contracts';
import type { Bulkhead } from '@mqgw/admission';
import type { GatewayRequest } from '../../request/gateway-request';
import { AdmissionControl } from '../guards/admission-control';
import { promised, requestOf, settled } from '../pipeline-step';
import { ServiceLimits } from './service-limits';

/** The longest a call waits for a slot of its service, within its deadline. */
const MAX_WAIT_MS = 1000;

/** Refusals per service, built once each. */
const atLimit = new Map<string, GatewayError>();

/**
 * `concurrency`, on every route with a service, innermost: a call goes out only while its
 * service has a free slot (`ServiceLimits`). Without one it waits, in order, up to a second
 * and never past its deadline; then it is refused, `SERVICE_UNAVAILABLE` with reason
 * `service_at_limit`, which the fallback step may still answer. What each call took teaches
 * an adaptive limit, unless it proved nothing about the service (refused before anything was
 * sent, or the caller's own fault).
 */
@Injectable()
export class ConcurrencyInterceptor implements NestInterceptor {
  constructor(
    private readonly limits: ServiceLimits,
    private readonly admission: AdmissionControl,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = requestOf(context);
    const service = req.service;
    if (!service) return next.handle();
    const bulkhead = this.limits.of(service);
    if (bulkhead.tryAcquire()) return promised(this.call(bulkhead, next));
    return promised(this.queue(req, service, bulkhead, next));
  }

  private async queue(
    req: GatewayRequest,
    service: string,
    bulkhead: Bulkhead,
    next: CallHandler,
  ): Promise<unknown> {
    const left = this.admission.deadlineOf(req) - performance.now();
    if (!(await bulkhead.acquire(Math.min(MAX_WAIT_MS, left)))) throw refusalFor(service);
    return this.call(bulkhead, next);
  }

  private call(bulkhead: Bulkhead, next: CallHandler): Promise<unknown> {
    const started = performance.now();
    return settled(next).then(
      (reply) => {
        const now = performance.now();
        bulkhead.release(now - started, now);
        return reply;
      },
      (error: unknown) => {
        const now = performance.now();
        const failure = classifyFailure(error);
        const telling = failure.serviceFailure || failure.serviceAnswered;
        bulkhead.release(telling ? now - started : undefined, now);
        throw error;
      },
    );
  }
}

function refusalFor(service: string): GatewayError {
  let refusal = atLimit.get(service);
  if (!refusal) {
    refusal = new GatewayError('SERVICE_UNAVAILABLE', `${service} is at its concurrency limit`, {
      retryAfter: 1,
      reason: 'service_at_limit',
    });
    if (atLimit.size < 10_000) atLimit.set(service, refusal);
  }
  return refusal;
}
