import { custom, int, maybe, str, type EnvOf } from '@mqgw/config';

/** Host names a browser on this machine uses for the HTTP side. */
const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

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
  DASHBOARD_HOSTS: maybe(
    custom(
      '* or host names separated by commas (a name, an IPv4 address or a [bracketed] IPv6 one)',
      (raw) => {
        if (raw.trim() === '*') return '*' as const;
        const names = raw.split(',').map((n) => n.trim().toLowerCase());
        return names.every((n) => HOST_NAME.test(n)) ? names : undefined;
      },
      {
        doc: 'the Host names the dashboard answers to (DNS rebinding); default localhost, 127.0.0.1, [::1] and HTTP_HOST',
      },
    ),
  ),
};

const HOST_NAME =
  /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$|^\[[0-9a-f:.]+\]$/;

export interface OperationsConfig {
  httpPort: number;
  httpHost: string;
  /** Unset: the dashboard is open to whoever reaches HTTP_HOST. */
  dashboardToken?: string;
  /** `Host` names (without port) the dashboard answers to; `*` for any. */
  dashboardHosts: '*' | ReadonlySet<string>;
}

export const OPERATIONS_CONFIG = Symbol('OPERATIONS_CONFIG');

export function readOperationsConfig(env: EnvOf<typeof operationsEnv>): OperationsConfig {
  return {
    httpPort: env.HTTP_PORT,
    httpHost: env.HTTP_HOST,
    dashboardToken: env.DASHBOARD_TOKEN,
    dashboardHosts:
      env.DASHBOARD_HOSTS === '*'
        ? '*'
        : new Set(env.DASHBOARD_HOSTS ?? defaultHosts(env.HTTP_HOST)),
  };
}

/** Loopback names, and the interface the HTTP side listens on when it is one address. */
function defaultHosts(httpHost: string): string[] {
  const host = httpHost.toLowerCase();
  const wildcard = host === '0.0.0.0' || host === '::' || host === '[::]';
  const named = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return wildcard ? LOOPBACK_HOSTS : [...new Set([...LOOPBACK_HOSTS, named])];
}
