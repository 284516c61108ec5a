import { Inject, Injectable } from '@nestjs/common';
import { FairShareGate, FixedLimit, GradientLimit } from '@mqgw/admission';
import { GatewayError } from '@mqgw/contracts';
import type { GatewayRequest } from '../../request/gateway-request';
import { PIPELINE_CONFIG, type PipelineConfig } from '../pipeline.config';

/**
 * The refusals of admission, built once: a refusal under overload costs no allocation and
 * no stack trace. `retry_after` is 1 s: load that comes back later finds room again.
 */
export const REFUSAL = {
  overloaded: new GatewayError('SERVICE_UNAVAILABLE', 'gateway is overloaded', {
    retryAfter: 1,
    reason: 'overloaded',
  }),
  deadline: new GatewayError(
    'SERVICE_UNAVAILABLE',
    'the request’s deadline passed before it could be served',
    { retryAfter: 1, reason: 'deadline' },
  ),
} as const;

/**
 * How much the gateway takes on at once, and who gets it. Requests are admitted up to a
 * limit (adaptive by default: it starts at MAX_INFLIGHT, so bursts are taken in, and comes
 * down when the gateway's own time per request grows, that is the time not spent waiting on
 * services, so a slow service does not shrink it); past half the limit each caller is
 * admitted only up to an equal share of it, so a flood from one caller is refused while
 * every other keeps room for its share (`FairShareGate`). The transport reports each admitted
 * request's end with `finish`.
 */
@Injectable()
export class AdmissionControl {
  private readonly gate: FairShareGate;
  private readonly admitted = new WeakSet<GatewayRequest>();
  private readonly defaultDeadlineMs: number;

  constructor(@Inject(PIPELINE_CONFIG) config: PipelineConfig) {
    const { limit, maxInflight, defaultDeadlineMs } = config.admission;
    this.defaultDeadlineMs = defaultDeadlineMs;
    this.gate = new FairShareGate(
      limit === 'adaptive'
        ? new GradientLimit({
            initial: maxInflight,
            // Not below 64: a saturated CPU is not always admission's doing (a flood being
            // read), and a smaller limit would starve light callers without speeding anyone.
            min: Math.min(64, maxInflight),
            max: maxInflight,
          })
        : new FixedLimit(limit),
      maxInflight,
    );
  }

  /** The `performance.now()` after which a request is no longer worth serving. */
  deadlineOf(req: GatewayRequest): number {
    return req.clientDeadline ?? req.receivedAt + (req.route.timeoutMs ?? this.defaultDeadlineMs);
  }

  /** Admits the request or throws the refusal; `now` is `performance.now()`. */
  admit(req: GatewayRequest, now = performance.now()): void {
    if (now >= this.deadlineOf(req)) throw REFUSAL.deadline;
    if (!this.gate.tryAdmit(req.principal.id)) throw REFUSAL.overloaded;
    this.admitted.add(req);
  }

  /** The request is answered: its share is free again, and its time teaches the limit. */
  finish(req: GatewayRequest, now = performance.now()): void {
    if (!this.admitted.delete(req)) return;
    const ownMs = now - req.receivedAt - req.upstreamMs;
    this.gate.leave(req.principal.id, Math.max(0, ownMs), now);
  }

  /** For metrics and the dashboard. */
  get state(): { inflight: number; limit: number; callers: number } {
    return { inflight: this.gate.inFlight, limit: this.gate.current, callers: this.gate.callers };
  }
}
