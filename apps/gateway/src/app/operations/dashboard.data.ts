import { Inject, Injectable } from '@nestjs/common';
import type { CircuitBreaker } from '@mqgw/breaker';
import { InstanceDirectory } from '@mqgw/discovery';
import { clipText } from '@mqgw/contracts';
import { routeRows, type RouteRow } from '@mqgw/routes';
import type { KvStore } from '@mqgw/store';
import { TRAFFIC_WINDOW_SECONDS, metricsKeys, trafficWindow } from '../observability/metrics.keys';
import { percentile } from '../observability/metrics.reader';
import { COMMAND_STATS_KEY, CommandsService } from '../commands/commands.service';
import { ActiveRoutes } from '../routing/active-routes';
import { STATE_CONFIG, type StateConfig } from '../state/state.config';
import { CIRCUIT_BREAKER, KV_STORE } from '../state/state.tokens';
import { MqttRequestServer } from '../transport/mqtt-request.server';
import { TRANSPORT_CONFIG, type TransportConfig } from '../transport/transport.config';
import { UpstreamService } from '../upstream/upstream.service';
import { GATEWAY_VERSION } from '../version';
import { HealthReporter } from './health.reporter';
import { AdmissionControl } from '../pipeline/guards/admission-control';
import { ServiceLimits } from '../pipeline/interceptors/service-limits';

/** How far back the traffic charts reach. */
const TRAFFIC_WINDOWS = 60;
const RECENT_ERRORS = 20;

export interface DashboardSnapshot {
  generated_at: number;
  served_by: { instance: string; version: string; inflight: number };
  gateways: { instance: string; last_seen: number; inflight: number }[];
  /** `none` in the embedded mode, where the shared state lives in this process. */
  redis: 'healthy' | 'unhealthy' | 'none';
  routes_digest: string;
  routes: (RouteRow & {
    requests: number;
    errors: number;
    error_rate: number;
    /** Bodies refused by the route's request schema. */
    request_violations: number;
    /** Service replies that broke the route's reply schema (`warn` or `enforce`). */
    reply_violations: number;
  })[];
  services: {
    name: string;
    status: 'healthy' | 'degraded' | 'down';
    instances: {
      id: string;
      url: string;
      healthy: boolean;
      last_heartbeat: number | null;
      outstanding: number;
      ejected_until: number | null;
    }[];
  }[];
  breakers: {
    service: string;
    state: string;
    failures: number;
    opened_at: number | null;
    probe_at: number | null;
  }[];
  traffic: {
    window_seconds: number;
    series: { t: number; rps: number; p50_ms: number; p99_ms: number; errors: number }[];
    totals: { requests: number; errors: number; rate_limit_hits: number };
    errors_by_code: Record<string, number>;
  };
  /** This instance's admission, services' limits as it sees them, and refusals by all. */
  admission: {
    inflight: number;
    limit: number;
    callers: number;
    refused_by_reason: Record<string, number>;
    services: Record<string, { inflight: number; limit: number }>;
  };
  recent_errors: {
    time: number;
    request_id: string | null;
    /** The trace the request was recorded under, when tracing is on (docs/tracing.md). */
    trace_id: string | null;
    topic: string | null;
    code: string;
    message: string;
  }[];
  /** Commands to devices: counts by outcome (all instances) and presence (this instance's view). */
  commands: {
    enabled: boolean;
    by_outcome: Record<string, number>;
    devices_online: number;
    devices_known: number;
    devices: { name: string; status: string; protocol: string; since: number }[];
  };
  /** What could not be read, said plainly (Redis down, for instance). */
  problems: string[];
}

/** Devices listed on the dashboard, online first. */
const DEVICES_SHOWN = 50;

/**
 * What the dashboard shows, read from the shared state, so that any gateway instance shows
 * the whole system: routes with their counts, services and instances, breakers, traffic
 * and recent errors. Read-only, and never a payload, token, key or secret: error entries
 * carry request id, route, code and message only. Parts that cannot be read (Redis down)
 * are left empty and named in `problems`.
 */
@Injectable()
export class DashboardData {
  constructor(
    @Inject(KV_STORE) private readonly kv: KvStore,
    @Inject(CIRCUIT_BREAKER) private readonly breaker: CircuitBreaker,
    @Inject(STATE_CONFIG) private readonly state: StateConfig,
    @Inject(TRANSPORT_CONFIG) private readonly transportConfig: TransportConfig,
    private readonly routes: ActiveRoutes,
    private readonly directory: InstanceDirectory,
    private readonly upstream: UpstreamService,
    private readonly transport: MqttRequestServer,
    private readonly health: HealthReporter,
    private readonly admission: AdmissionControl,
    private readonly limits: ServiceLimits,
    private readonly commands: CommandsService,
  ) {}

  async snapshot(now = Date.now()): Promise<DashboardSnapshot> {
    const problems: string[] = [];
    const redisUp = await this.health.redisHealthy();
    if (!redisUp)
      problems.push('Redis does not answer: shared counts, breakers and logs are not shown');
    const names = this.health.serviceNames();
    const [
      { routeCounts, gatewayRow, errorCodes, windows, errorLog, gateways, breakers },
      { commandCounts, refusals },
    ] = await Promise.all([
      this.readShared(now, names, redisUp, problems),
      this.readSharedCounts(redisUp, problems),
    ]);
    return {
      generated_at: now / 1000,
      served_by: {
        instance: this.transportConfig.clientId,
        version: GATEWAY_VERSION,
        inflight: this.transport.inflightCount,
      },
      gateways,
      redis: !this.state.redis ? 'none' : redisUp ? 'healthy' : 'unhealthy',
      routes_digest: this.routes.table.digest,
      routes: routeRows(this.routes.routes).map((row) => withCounts(row, routeCounts)),
      services: names.map((name) => this.service(name)),
      breakers,
      traffic: {
        window_seconds: TRAFFIC_WINDOW_SECONDS,
        series: windows,
        totals: {
          requests: Number(gatewayRow['total_requests'] ?? 0),
          errors: Number(gatewayRow['failed_requests'] ?? 0),
          rate_limit_hits: Number(gatewayRow['rate_limit_hits'] ?? 0),
        },
        errors_by_code: numbers(errorCodes),
      },
      admission: {
        ...this.admission.state,
        refused_by_reason: numbers(refusals),
        services: this.limits.snapshot(),
      },
      recent_errors: errorLog.map(toErrorEntry),
      commands: this.commandsPart(commandCounts),
      problems,
    };
  }

  /** What every instance shares in Redis; empty, and named in `problems`, where unreadable. */
  private async readShared(now: number, names: string[], redisUp: boolean, problems: string[]) {
    const shared = this.sharedReader(redisUp, problems);
    const [routeCounts, gatewayRow, errorCodes, windows, errorLog, gateways, breakers] =
      await Promise.all([
        shared('route counts', () => this.kv.hashGetAll(metricsKeys.routes), {}),
        shared('totals', () => this.kv.hashGetAll(metricsKeys.gateway), {}),
        shared('errors by code', () => this.kv.hashGetAll(metricsKeys.errors), {}),
        shared('traffic', () => this.windows(now), []),
        shared(
          'error log',
          () => this.kv.listRange(metricsKeys.errorLogs, 0, RECENT_ERRORS - 1),
          [],
        ),
        shared('gateway instances', () => this.gateways(now), []),
        shared('breakers', () => this.breakers(names), []),
      ]);
    return { routeCounts, gatewayRow, errorCodes, windows, errorLog, gateways, breakers };
  }

  private async readSharedCounts(redisUp: boolean, problems: string[]) {
    const shared = this.sharedReader(redisUp, problems);
    const [commandCounts, refusals] = await Promise.all([
      shared('command counts', () => this.kv.hashGetAll(COMMAND_STATS_KEY), {}),
      shared('refusals', () => this.kv.hashGetAll(metricsKeys.refusals), {}),
    ]);
    return { commandCounts, refusals };
  }

  /** Reads one shared part: skipped while Redis is down, empty and named when it fails. */
  private sharedReader(redisUp: boolean, problems: string[]) {
    return async <T>(what: string, work: () => Promise<T>, empty: T): Promise<T> => {
      if (!redisUp) return empty;
      try {
        return await work();
      } catch (error) {
        problems.push(`${what}: ${(error as Error).message}`);
        return empty;
      }
    };
  }

  private commandsPart(counts: Record<string, string>): DashboardSnapshot['commands'] {
    return {
      enabled: this.commands.enabled,
      by_outcome: numbers(counts),
      devices_online: this.commands.presence.onlineCount,
      devices_known: this.commands.presence.size,
      devices: this.commands.presence.list(DEVICES_SHOWN).map((d) => ({
        name: d.name,
        status: d.status,
        protocol: d.protocol === 5 ? 'MQTT 5' : 'MQTT 3.1.1',
        since: d.since / 1000,
      })),
    };
  }

  /** The services and their instances, from memory: no Redis round trip (`/metrics`). */
  services(): DashboardSnapshot['services'] {
    return this.health.serviceNames().map((name) => this.service(name));
  }

  private service(name: string): DashboardSnapshot['services'][number] {
    const all = this.directory.allInstances(name);
    const routable = new Set(this.directory.instances(name).map((i) => i.instanceId));
    const healthy = all.filter((i) => this.directory.isHealthy(i)).length;
    return {
      name,
      status: healthy === 0 ? 'down' : healthy < all.length ? 'degraded' : 'healthy',
      instances: all.map((i) => ({
        id: i.instanceId,
        url: i.url,
        healthy: this.directory.isHealthy(i) && routable.has(i.instanceId),
        last_heartbeat: i.lastHeartbeatAt ? i.lastHeartbeatAt / 1000 : null,
        outstanding: this.upstream.outstandingTo(i.instanceId),
        ejected_until: ((until) => (until ? until / 1000 : null))(
          this.directory.ejectedUntil(i.instanceId),
        ),
      })),
    };
  }

  private async breakers(names: readonly string[]): Promise<DashboardSnapshot['breakers']> {
    return Promise.all(
      names.map(async (service) => {
        const snap = await this.breaker.snapshot(service);
        const own = this.routes.table.services.get(service)?.breaker?.recoverySeconds;
        const recoveryMs = own ? own * 1000 : this.state.breaker.recoveryMs;
        return {
          service,
          state: snap.state,
          failures: snap.failures,
          opened_at: snap.openedAt ? snap.openedAt / 1000 : null,
          probe_at: snap.state === 'open' ? (snap.openedAt + recoveryMs) / 1000 : null,
        };
      }),
    );
  }

  /** The last TRAFFIC_WINDOWS windows, oldest first; the current one scaled to its length. */
  private async windows(now: number): Promise<DashboardSnapshot['traffic']['series']> {
    const current = trafficWindow(now);
    const starts = Array.from(
      { length: TRAFFIC_WINDOWS },
      (_, i) => current - (TRAFFIC_WINDOWS - 1 - i) * TRAFFIC_WINDOW_SECONDS,
    );
    const rows = await Promise.all(starts.map((s) => this.kv.hashGetAll(metricsKeys.traffic(s))));
    return rows.map((row, i) => {
      const seconds =
        starts[i] === current ? Math.max(1, now / 1000 - current) : TRAFFIC_WINDOW_SECONDS;
      return {
        t: starts[i],
        rps: Math.round((Number(row['requests'] ?? 0) / seconds) * 10) / 10,
        p50_ms: finiteMs(percentile(row, 0.5)),
        p99_ms: finiteMs(percentile(row, 0.99)),
        errors: Number(row['errors'] ?? 0),
      };
    });
  }

  private async gateways(now: number): Promise<DashboardSnapshot['gateways']> {
    const ids = await this.kv.setMembers(metricsKeys.instances);
    const beacons = await Promise.all(ids.map((id) => this.kv.get(metricsKeys.instance(id))));
    const live: DashboardSnapshot['gateways'] = [];
    const gone: string[] = [];
    beacons.forEach((beacon, i) => {
      if (beacon === null) gone.push(ids[i]);
      else live.push(JSON.parse(beacon) as DashboardSnapshot['gateways'][number]);
    });
    if (gone.length > 0) await this.kv.setRemove(metricsKeys.instances, gone);
    return live
      .filter((g) => now / 1000 - g.last_seen < 30)
      .sort((a, b) => a.instance.localeCompare(b.instance));
  }
}

function finiteMs(seconds: number): number {
  return Number.isFinite(seconds) ? Math.round(seconds * 1000 * 10) / 10 : 30_000;
}

/**
 * One entry of the shared error log, clipped again: an entry written by an older instance
 * may not be, and one page shows twenty of them every second.
 */
function toErrorEntry(raw: string): DashboardSnapshot['recent_errors'][number] {
  const entry = JSON.parse(raw) as Record<string, unknown>;
  const topic = entry['topic'];
  return {
    time: Number(entry['timestamp'] ?? 0),
    request_id: typeof entry['request_id'] === 'string' ? clipText(entry['request_id'], 64) : null,
    trace_id: typeof entry['trace_id'] === 'string' ? entry['trace_id'].slice(0, 32) : null,
    topic: typeof topic === 'string' ? clipText(topic, 256) : null,
    code: clipText(String(entry['code'] ?? ''), 64),
    message: clipText(String(entry['error'] ?? '')),
  };
}

/** A Redis hash of counts, as numbers. */
function numbers(hash: Record<string, string>): Record<string, number> {
  return Object.fromEntries(Object.entries(hash).map(([key, n]) => [key, Number(n)]));
}

/** A route's row with its counts from the shared `metrics:routes` hash. */
function withCounts<Row extends { topic: string }>(row: Row, counts: Record<string, string>) {
  const count = (what: string) => Number(counts[`${row.topic}|${what}`] ?? 0);
  const requests = count('requests');
  const errors = count('errors');
  return {
    ...row,
    requests,
    errors,
    error_rate: requests > 0 ? Math.round((errors / requests) * 1000) / 10 : 0,
    request_violations: count('request_violations'),
    reply_violations: count('reply_violations'),
  };
}
