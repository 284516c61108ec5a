import { Logger, Module, type OnModuleInit } from '@nestjs/common';
import { RequestObserver } from '../request/request-observer';
import { RoutingModule } from '../routing/routing.module';
import { StateModule } from '../state/state.module';
import { StateEvents } from '../state/state.events';
import { ContractViolations } from './contract-violations';
import { MetricsReader } from './metrics.reader';
import { PrometheusMetrics } from './prometheus.metrics';
import { RequestRecorder } from './request-recorder';
import { RequestTracer } from './request-tracer';

/**
 * Counting and logging: the request recorder (the transport's `RequestObserver`), this
 * instance's Prometheus metrics, the reader of the counters all instances share, and the
 * count of contract violations (the `validate` step's and the reply schema's), and the
 * tracer of requests (docs/tracing.md).
 */
/** `mqgw_breaker_state`: 0 closed, 1 half-open, 2 open. */
const BREAKER_STATE_VALUE = { closed: 0, half_open: 1, open: 2 } as const;

@Module({
  imports: [StateModule, RoutingModule],
  providers: [
    PrometheusMetrics,
    RequestRecorder,
    { provide: RequestObserver, useExisting: RequestRecorder },
    MetricsReader,
    ContractViolations,
    RequestTracer,
  ],
  exports: [
    PrometheusMetrics,
    RequestRecorder,
    RequestObserver,
    MetricsReader,
    ContractViolations,
    RequestTracer,
  ],
})
export class ObservabilityModule implements OnModuleInit {
  private readonly logger = new Logger('State');
  private lastLimiterWarning = 0;

  constructor(
    private readonly events: StateEvents,
    private readonly recorder: RequestRecorder,
    private readonly prometheus: PrometheusMetrics,
  ) {}

  /** Counts and logs what happens in the shared state. */
  onModuleInit(): void {
    this.events.on('limiterFallback', (error) => {
      this.recorder.count('rate_limit_fallbacks');
      this.prometheus.rateLimitFallbacks.inc();
      if (Date.now() - this.lastLimiterWarning > 10_000) {
        this.lastLimiterWarning = Date.now();
        this.logger.warn(`rate limiter: Redis unavailable (${(error as Error).message})`);
      }
    });
    this.events.on('breakerTransition', ({ service, from, to }) => {
      this.recorder.count('breaker_transitions');
      this.prometheus.breakerTransitions.inc({ service, to });
      this.prometheus.breakerState.set({ service }, BREAKER_STATE_VALUE[to]);
      this.logger.warn(`circuit for ${service}: ${from} -> ${to}`);
    });
  }
}
