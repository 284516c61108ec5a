/** Redis keys of the shared counters; each is one hash, so every update is one atomic HINCRBY. */
export const metricsKeys = {
  gateway: 'metrics:gateway',
  services: 'metrics:services',
  service: (name: string) => `metrics:service:{${name}}`,
  requestLogs: 'gateway:request_logs',
  responseLogs: 'gateway:response_logs',
  errorLogs: 'gateway:error_logs',
};

export const LOG_CAP = 1000;
