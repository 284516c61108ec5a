import { Injectable } from '@nestjs/common';
import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
  type OpenMetricsContentType,
} from 'prom-client';

/** Latency buckets in seconds, shared by Prometheus and the Redis percentiles. */
export const LATENCY_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

/**
 * This instance's Prometheus metrics. Labels are route templates, service names, error
 * codes and drop reasons: finite sets, never raw topics, ids or parameters.
 */
@Injectable()
export class PrometheusMetrics {
  readonly registry = new Registry();
  /**
   * The same metrics in the OpenMetrics format, which carries exemplars (prom-client only
   * lets a histogram keep them if an OpenMetrics registry holds it).
   */
  private readonly openMetricsRegistry = openMetricsRegistry();

  readonly requests = new Counter({
    name: 'mqgw_requests_total',
    help: 'Requests answered (or finished, for fire-and-forget), by route template and outcome.',
    labelNames: ['route', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly duration = new Histogram({
    name: 'mqgw_request_duration_seconds',
    help: 'Time from receipt to reply, by service, route template and outcome.',
    labelNames: ['service', 'route', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.openMetricsRegistry],
    // A traced request leaves its trace id as the exemplar of its bucket; only the
    // OpenMetrics format (asked for with Accept) shows them.
    enableExemplars: true,
  });

  readonly dropped = new Counter({
    name: 'mqgw_dropped_requests_total',
    help: 'Requests dropped without a reply, by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly deviceCommands = new Counter({
    name: 'mqgw_device_commands_total',
    help: 'Commands to devices over HTTP, by mode (wait or queued) and outcome.',
    labelNames: ['mode', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly droppedCommandAnswers = new Counter({
    name: 'mqgw_dropped_command_answers_total',
    help: 'Answers from devices dropped, by reason (unknown_id, wrong_device, duplicate, ...).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly commandAnswers = new Counter({
    name: 'mqgw_command_answers_total',
    help: 'Answers this instance received for commands in wait mode: for its own HTTP call (local) or sent to the instance that holds it (forwarded).',
    labelNames: ['delivered'] as const,
    registers: [this.registry],
  });

  readonly devicesOnline = new Gauge({
    name: 'mqgw_devices_online',
    help: 'Devices whose retained status this instance last saw as online.',
    registers: [this.registry],
  });

  readonly breakerTransitions = new Counter({
    name: 'mqgw_breaker_transitions_total',
    help: 'Circuit breaker transitions seen by this instance.',
    labelNames: ['service', 'to'] as const,
    registers: [this.registry],
  });

  readonly breakerState = new Gauge({
    name: 'mqgw_breaker_state',
    help: 'The last breaker state this instance saw per service: 0 closed, 1 half-open, 2 open.',
    labelNames: ['service'] as const,
    registers: [this.registry],
  });

  readonly rateLimitFallbacks = new Counter({
    name: 'mqgw_rate_limit_fallbacks_total',
    help: 'Rate-limit checks answered locally because Redis was unavailable.',
    registers: [this.registry],
  });

  readonly routeReloads = new Counter({
    name: 'mqgw_route_reloads_total',
    help: 'Reloads of the routes file, by outcome: applied, or rejected (the old table stays).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly contractViolations = new Counter({
    name: 'mqgw_contract_violations_total',
    help: 'Request bodies refused by their route schema (kind=request), and service replies that broke theirs (kind=reply).',
    labelNames: ['route', 'kind'] as const,
    registers: [this.registry],
  });

  readonly inflight = new Gauge({
    name: 'mqgw_inflight_requests',
    help: 'Requests being processed by this instance.',
    registers: [this.registry],
  });

  readonly refused = new Counter({
    name: 'mqgw_refused_requests_total',
    help: 'Requests refused under load (SERVICE_UNAVAILABLE), by reason: overloaded, service_at_limit, deadline.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly admission = new Gauge({
    name: 'mqgw_admission',
    help: 'Admission on this instance: requests admitted (inflight), the concurrency limit, past half of which callers are held to equal shares (limit), and callers holding some (callers).',
    labelNames: ['value'] as const,
    registers: [this.registry],
  });

  readonly droppedSpans = new Counter({
    name: 'mqgw_trace_spans_dropped_total',
    help: 'Spans not exported: the export queue was full, or the OTLP endpoint failed or could not be reached.',
    registers: [this.registry],
  });

  readonly serviceConcurrency = new Gauge({
    name: 'mqgw_service_concurrency',
    help: 'Calls out to each service from this instance (inflight) and its concurrency limit (limit).',
    labelNames: ['service', 'value'] as const,
    registers: [this.registry],
  });

  /*
   * Service instances as the dashboard shows them, set at each scrape (never per request).
   * `instance_id`, not `instance`: Prometheus gives `instance` to the scraped target.
   */
  readonly instanceUp = new Gauge({
    name: 'mqgw_service_instance_up',
    help: 'Each service instance this gateway knows: 1 when it takes calls (live, healthy, not ejected), else 0.',
    labelNames: ['service', 'instance_id', 'url'] as const,
    registers: [this.registry],
  });

  readonly instanceOutstanding = new Gauge({
    name: 'mqgw_service_instance_outstanding',
    help: 'Calls in flight from this gateway to each service instance.',
    labelNames: ['service', 'instance_id'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'mqgw_' });
    // Every metric is in both registries: each format shows them all.
    this.registry.registerMetric(this.duration);
    for (const { name } of this.registry.getMetricsAsArray()) {
      const metric = this.registry.getSingleMetric(name);
      if (metric && metric !== this.duration) this.openMetricsRegistry.registerMetric(metric);
    }
    // Both outcomes exist from the start, so a dashboard can tell 0 from no data.
    for (const outcome of ['applied', 'rejected']) this.routeReloads.labels({ outcome }).inc(0);
  }

  /** Labelled children, kept: prom-client hashes the label set on every unlabelled call. */
  private readonly children = new Map<
    string,
    { count: { inc(): void }; duration: { observe(v: number): void } }
  >();

  /** Counts one answered request and its duration. Label values come from finite sets. */
  recordRequest(
    route: string,
    service: string,
    outcome: string,
    seconds: number,
    traceId?: string,
  ): void {
    const key = `${route}\u0000${service}\u0000${outcome}`;
    let child = this.children.get(key);
    if (!child) {
      child = {
        count: this.requests.labels({ route, outcome }),
        duration: this.duration.labels({ service, route, outcome }),
      };
      this.children.set(key, child);
    }
    child.count.inc();
    if (traceId === undefined) child.duration.observe(seconds);
    else {
      const labels = { service, route, outcome };
      // prom-client types exemplar labels as the metric's own; any label name is valid.
      const exemplarLabels = { trace_id: traceId } as unknown as typeof labels;
      this.duration.observe({ labels, value: seconds, exemplarLabels });
    }
  }

  /** The Prometheus text format. */
  text(): Promise<string> {
    return this.serially(() => this.registry.metrics());
  }

  /**
   * The OpenMetrics text, with the request-duration exemplars (trace ids). prom-client
   * renames a counter (drops `_total`) while it renders OpenMetrics; the names are put back
   * after, and renders run one at a time so the text format never sees the other names.
   */
  openMetrics(): Promise<string> {
    return this.serially(async () => {
      const counters = this.openMetricsRegistry
        .getMetricsAsArray()
        .filter((m) => String(m.type) === 'counter')
        .map((m) => [this.openMetricsRegistry.getSingleMetric(m.name), m.name] as const);
      try {
        return await this.openMetricsRegistry.metrics();
      } finally {
        for (const [metric, name] of counters) {
          if (metric) (metric as unknown as { name: string }).name = name;
        }
      }
    });
  }

  private rendering: Promise<unknown> = Promise.resolve();

  private serially<T>(render: () => Promise<T>): Promise<T> {
    const next = this.rendering.then(render, render);
    this.rendering = next.catch(() => undefined);
    return next;
  }
}

function openMetricsRegistry(): Registry<OpenMetricsContentType> {
  const registry = new Registry<OpenMetricsContentType>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  return registry;
}
