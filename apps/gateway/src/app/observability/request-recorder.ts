import { Inject, Injectable, Logger } from '@nestjs/common';
import type { KvStore } from '@mqgw/store';
import { clipText, isErrorReply, type ErrorReply, type Reply } from '@mqgw/contracts';
import type { GatewayRequest } from '../request/gateway-request';
import { RequestObserver, type DropReason } from '../request/request-observer';
import { KV_STORE } from '../state/state.tokens';
import { LOG_CAP, TRAFFIC_KEEP_MS, metricsKeys, trafficWindow } from './metrics.keys';
import { OBSERVABILITY_CONFIG, type ObservabilityConfig } from './observability.config';
import { LATENCY_BUCKETS, PrometheusMetrics } from './prometheus.metrics';

type Counters = Map<string, Map<string, number>>;

/** Refusals under load, by their reason on the wire. */
const REFUSALS: ReadonlySet<string> = new Set(['overloaded', 'service_at_limit', 'deadline']);
type LogList = 'request' | 'response' | 'error';

/**
 * Counts and logs every request off the hot path: the transport calls `completed` and
 * `dropped` synchronously, which only touch memory; a timer flushes the deltas to the
 * shared store in one batch. Deltas that fail to flush are kept and retried, so counts stay
 * exact. Log entries are encoded at flush time, and only the newest `LOG_CAP` of each list
 * are, since the capped lists keep no more.
 */
@Injectable()
export class RequestRecorder extends RequestObserver {
  private readonly logger = new Logger('Metrics');
  private counters: Counters = new Map();
  private logs: Record<LogList, Record<string, unknown>[]> = {
    request: [],
    response: [],
    error: [],
  };
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private lastWarning = 0;
  /** When a drop of each reason last became a log entry. */
  private readonly dropLogged = new Map<DropReason, number>();
  /** Traffic windows this instance has already given an expiry. */
  private readonly expiring = new Set<string>();

  constructor(
    @Inject(KV_STORE) private readonly kv: KvStore,
    @Inject(OBSERVABILITY_CONFIG) private readonly config: ObservabilityConfig,
    private readonly prometheus: PrometheusMetrics,
  ) {
    super();
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.config.flushMs);
    this.timer.unref();
  }

  /** Stops the timer and writes what is pending. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  completed(request: GatewayRequest | undefined, topic: string, reply: Reply): void {
    if (topic.startsWith('gateway/')) return;
    const error = isErrorReply(reply) ? reply : undefined;
    const refusal = error?.error.reason;
    if (refusal !== undefined && REFUSALS.has(refusal)) return this.refused(refusal, error!);
    const elapsedMs = request ? Math.round(performance.now() - request.receivedAt) : 0;
    const nowMs = Date.now();
    const route = request?.route.template ?? 'unmatched';
    const service = request?.service;
    const outcome = error ? error.error.code : outcomeOf(reply);
    // Only a trace the sampler kept can be looked up: a dropped one names nothing.
    const traceId = request?.trace?.recording ? request.trace.ids.trace_id : undefined;
    this.prometheus.recordRequest(route, service ?? 'gateway', outcome, elapsedMs / 1000, traceId);
    this.countRequest(route, error, elapsedMs, nowMs);
    if (service && request?.upstreamAttempted) this.countService(service, error, elapsedMs);
    const entry = {
      request_id: request?.requestId ?? error?.request_id ?? '',
      service: service ?? null,
      timestamp: nowMs / 1000,
    };
    const traced = traceId ? { trace_id: traceId } : undefined;
    const where = request?.route.template ?? clip(topic);
    this.log('request', { ...entry, topic: where });
    this.log('response', {
      ...entry,
      status_code: error ? error.status_code : 200,
      processing_time: elapsedMs / 1000,
    });
    if (error) {
      // A replayed reply may predate clipping; every entry is clipped here once more.
      const message = clipText(error.error.message);
      this.log('error', {
        ...entry,
        ...traced,
        topic: where,
        code: error.error.code,
        error: message,
      });
    }
  }

  /** The gateway's totals, and for the dashboard: per route, per error code, per window. */
  private countRequest(
    route: string,
    error: ErrorReply | undefined,
    elapsedMs: number,
    nowMs: number,
  ): void {
    this.add(metricsKeys.gateway, 'total_requests');
    this.add(metricsKeys.gateway, error ? 'failed_requests' : 'successful_requests');
    if (error?.error.code === 'RATE_LIMITED') this.add(metricsKeys.gateway, 'rate_limit_hits');
    this.add(metricsKeys.routes, `${route}|requests`);
    const window = metricsKeys.traffic(trafficWindow(nowMs));
    this.add(window, 'requests');
    this.add(window, bucketField(elapsedMs / 1000));
    if (error) {
      this.add(metricsKeys.routes, `${route}|errors`);
      this.add(metricsKeys.errors, error.error.code);
      this.add(window, 'errors');
    }
  }

  /** A call the service was sent: its count, time and latency bucket. */
  private countService(service: string, error: ErrorReply | undefined, elapsedMs: number): void {
    const key = metricsKeys.service(service);
    this.add(key, 'requests');
    this.add(key, 'time_ms', elapsedMs);
    this.add(key, bucketField(elapsedMs / 1000));
    if (error) this.add(key, 'errors');
  }

  /**
   * A refusal under load is counted, by reason, and kept out of the request logs: a flood of
   * them must cost little, and must not push real errors off the dashboard.
   */
  private refused(reason: string, error: ErrorReply): void {
    this.prometheus.refused.inc({ reason });
    this.add(metricsKeys.gateway, 'total_requests');
    this.add(metricsKeys.gateway, 'refused_requests');
    this.add(metricsKeys.errors, error.error.code);
    this.add(metricsKeys.refusals, reason);
    this.add(metricsKeys.traffic(trafficWindow(Date.now())), 'refused');
  }

  /**
   * A dropped request is counted, always; it becomes an entry of the error log at most once
   * per reason and second, so a flood of drops neither pushes real errors off the dashboard
   * nor costs an entry each.
   */
  dropped(reason: DropReason, topic: string, detail?: string): void {
    this.add(metricsKeys.gateway, 'dropped_requests');
    this.prometheus.dropped.inc({ reason });
    const now = Date.now();
    if (now - (this.dropLogged.get(reason) ?? -Infinity) < 1000) return;
    this.dropLogged.set(reason, now);
    this.log('error', {
      request_id: null,
      topic: clip(topic),
      code: 'DROPPED',
      error: clipText(`${reason}${detail ? `: ${detail}` : ''}`),
      timestamp: now / 1000,
    });
  }

  /** Adds to a gateway-wide counter, e.g. `rate_limit_fallbacks`. */
  count(field: string, delta = 1): void {
    this.add(metricsKeys.gateway, field, delta);
  }

  /** Adds to a route's counter, e.g. `reply_violations`. */
  countRoute(route: string, field: string): void {
    this.add(metricsKeys.routes, `${route}|${field}`);
  }

  /** Writes pending deltas and logs; concurrent callers share one flush. */
  flush(): Promise<void> {
    this.flushing ??= this.doFlush().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async doFlush(): Promise<void> {
    const counters = this.counters;
    const logs = this.logs;
    if (counters.size === 0 && logs.request.length + logs.error.length === 0) return;
    this.counters = new Map();
    this.logs = { request: [], response: [], error: [] };
    const failures: unknown[] = [];
    await Promise.all([...this.writeCounters(counters, failures), ...this.writeLogs(logs)]);
    if (failures.length > 0 && Date.now() - this.lastWarning > 10_000) {
      this.lastWarning = Date.now();
      this.logger.warn(`metrics flush failed, will retry: ${(failures[0] as Error).message}`);
    }
  }

  /**
   * One command per key, sent together (the connection auto-pipelines): no command spans two
   * keys, so this runs unchanged on Redis Cluster. Each HINCRBY that fails puts exactly its
   * own delta back, so a retry can never count twice.
   */
  private writeCounters(counters: Counters, failures: unknown[]): Promise<unknown>[] {
    const writes: Promise<unknown>[] = [];
    for (const [key, fields] of counters) {
      for (const [field, delta] of fields) {
        writes.push(
          this.kv.hashIncrement(key, field, delta).catch((error: unknown) => {
            failures.push(error);
            this.add(key, field, delta);
          }),
        );
      }
    }
    // Traffic windows expire; each instance sets that once per window.
    for (const key of counters.keys()) {
      if (!key.startsWith('metrics:traffic:') || this.expiring.has(key)) continue;
      if (this.expiring.size > 1000) this.expiring.clear();
      this.expiring.add(key);
      writes.push(this.kv.expire(key, TRAFFIC_KEEP_MS).catch(() => this.expiring.delete(key)));
    }
    const services = [...counters.keys()]
      .filter((k) => k.startsWith('metrics:service:'))
      .map(serviceOf);
    if (services.length > 0)
      writes.push(this.kv.setAdd(metricsKeys.services, services).catch(() => undefined));
    return writes;
  }

  /** Only the newest `LOG_CAP` of each list are encoded; logs are best effort. */
  private writeLogs(logs: Record<LogList, Record<string, unknown>[]>): Promise<unknown>[] {
    const lists: [string, Record<string, unknown>[]][] = [
      [metricsKeys.requestLogs, logs.request],
      [metricsKeys.responseLogs, logs.response],
      [metricsKeys.errorLogs, logs.error],
    ];
    return lists
      .filter(([, all]) => all.length > 0)
      .map(([key, all]) => {
        const entries = (all.length > LOG_CAP ? all.slice(-LOG_CAP) : all).map((e) =>
          JSON.stringify(e),
        );
        return this.kv.listPushCapped(key, entries, LOG_CAP).catch(() => undefined);
      });
  }

  private add(key: string, field: string, delta = 1): void {
    let fields = this.counters.get(key);
    if (!fields) this.counters.set(key, (fields = new Map()));
    fields.set(field, (fields.get(field) ?? 0) + delta);
  }

  private log(list: LogList, entry: Record<string, unknown>): void {
    const entries = this.logs[list];
    // Only the newest LOG_CAP survive the capped list; trim in bulk, not one shift per entry.
    if (entries.length >= 2 * LOG_CAP) entries.splice(0, entries.length - LOG_CAP);
    entries.push(entry);
  }
}

/** The Redis field of the latency bucket that `seconds` falls in: `le_0.005`, …, `le_inf`. */
export function bucketField(seconds: number): string {
  const bound = LATENCY_BUCKETS.find((b) => seconds <= b);
  return `le_${bound ?? 'inf'}`;
}

function outcomeOf(reply: Reply): string {
  const r = reply as { status?: unknown; source?: unknown };
  if (r.source === 'cache') return 'cache';
  return r.status === 'fallback' ? 'fallback' : 'success';
}

/** Raw topics come from clients (up to 64 KiB): keep logged copies short. */
function clip(topic: string): string {
  return clipText(topic, 256);
}

function serviceOf(key: string): string {
  return key.slice(key.indexOf('{') + 1, key.lastIndexOf('}'));
}
