import { int, str, type EnvOf } from '@mqgw/config';

/** The HTTP side: health, readiness and Prometheus metrics. */
export const operationsEnv = {
  HTTP_PORT: int({ default: 3000, min: 0, max: 65535, doc: 'health and metrics HTTP port' }),
  HTTP_HOST: str({ default: '127.0.0.1', doc: 'interface for the HTTP side' }),
};

export interface OperationsConfig {
  httpPort: number;
  httpHost: string;
}

export const OPERATIONS_CONFIG = Symbol('OPERATIONS_CONFIG');

export function readOperationsConfig(env: EnvOf<typeof operationsEnv>): OperationsConfig {
  return { httpPort: env.HTTP_PORT, httpHost: env.HTTP_HOST };
}
