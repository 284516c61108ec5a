import { int, maybe, str, type EnvOf } from '@mqgw/config';

/** The HTTP side: health, readiness, Prometheus metrics and the dashboard. */
export const operationsEnv = {
  HTTP_PORT: int({ default: 3000, min: 0, max: 65535, doc: 'health and metrics HTTP port' }),
  HTTP_HOST: str({ default: '127.0.0.1', doc: 'interface for the HTTP side' }),
  DASHBOARD_TOKEN: maybe(
    str({
      pattern: /^[\x21-\x7e]{16,}$/,
      secret: true,
      doc: 'when set, /dashboard and its data need it (16+ printable characters)',
    }),
  ),
};

export interface OperationsConfig {
  httpPort: number;
  httpHost: string;
  /** Unset: the dashboard is open to whoever reaches HTTP_HOST. */
  dashboardToken?: string;
}

export const OPERATIONS_CONFIG = Symbol('OPERATIONS_CONFIG');

export function readOperationsConfig(env: EnvOf<typeof operationsEnv>): OperationsConfig {
  return { httpPort: env.HTTP_PORT, httpHost: env.HTTP_HOST, dashboardToken: env.DASHBOARD_TOKEN };
}
