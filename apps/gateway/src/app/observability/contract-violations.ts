import { Injectable, Logger } from '@nestjs/common';
import type { Violation } from '@mqgw/routes';
import { forRequest, type LogTraceIds } from '@mqgw/logging';
import { PrometheusMetrics } from './prometheus.metrics';
import { RequestRecorder } from './request-recorder';

/** A route's reply violations are logged at most this often, with a count of those between. */
const LOG_EVERY_MS = 10_000;

/**
 * Counts contract violations per route: request bodies the `validate` step refused, and
 * service replies that broke the route's reply schema. On this instance's Prometheus
 * (`mqgw_contract_violations_total{route,kind}`) and in the shared route counters the
 * dashboard reads. A broken reply is also logged, at most once per route every 10 s, so a
 * service that breaks its contract on every reply cannot flood the log.
 */
@Injectable()
export class ContractViolations {
  private readonly logger = new Logger('Contract');
  private readonly lastLogged = new Map<string, { at: number; since: number }>();

  constructor(
    private readonly recorder: RequestRecorder,
    private readonly prometheus: PrometheusMetrics,
  ) {}

  request(route: string): void {
    this.prometheus.contractViolations.inc({ route, kind: 'request' });
    this.recorder.countRoute(route, 'request_violations');
  }

  reply(
    route: string,
    service: string,
    request: { requestId: string; traceIds?: LogTraceIds },
    violations: readonly Violation[],
    now = Date.now(),
  ): void {
    this.prometheus.contractViolations.inc({ route, kind: 'reply' });
    this.recorder.countRoute(route, 'reply_violations');
    const last = this.lastLogged.get(route);
    if (last && now - last.at < LOG_EVERY_MS) {
      last.since++;
      return;
    }
    // Bounded: one entry per route of the table.
    this.lastLogged.set(route, { at: now, since: 0 });
    const more = last?.since ? ` (and ${last.since} more replies since the last report)` : '';
    this.logger.warn(
      forRequest(
        request.requestId,
        `${service} broke the reply schema of ${route}: ${violations
          .map((v) => `${v.pointer || '(data)'} ${v.message}`)
          .join('; ')}${more}`,
        request.traceIds,
      ),
    );
  }
}
