/** Redis keys of the shared counters; each is one hash, so every update is one atomic HINCRBY. */
export const metricsKeys = {
  gateway: 'metrics:gateway',
  services: 'metrics:services',
  service: (name: string) => `metrics:service:{${name}}`,
  /**
   * `<route template>|requests`, `|errors`, and the contract's `|request_violations` and
   * `|reply_violations`.
   */
  routes: 'metrics:routes',
  /** Error replies by code. */
  errors: 'metrics:errors',
  /** Refusals under load by reason: overloaded, service_at_limit, deadline. */
  refusals: 'metrics:refusals',
  /** Requests, errors and latency buckets of the TRAFFIC_WINDOW_SECONDS starting at `start`. */
  traffic: (start: number) => `metrics:traffic:${start}`,
  /** One gateway instance's beacon, and the set of those that sent one. */
  instance: (id: string) => `gateway:instance:{${id}}`,
  instances: 'gateway:instances',
  requestLogs: 'gateway:request_logs',
  responseLogs: 'gateway:response_logs',
  errorLogs: 'gateway:error_logs',
};

export const LOG_CAP = 1000;

/** The traffic series: windows of 5 s, kept 15 minutes. */
export const TRAFFIC_WINDOW_SECONDS = 5;
export const TRAFFIC_KEEP_MS = 15 * 60_000;

/** The window a moment (epoch ms) falls in, as its start in seconds. */
export function trafficWindow(epochMs: number): number {
  const seconds = Math.floor(epochMs / 1000);
  return seconds - (seconds % TRAFFIC_WINDOW_SECONDS);
}
