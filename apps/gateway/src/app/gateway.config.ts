import { oneOf, readEnv, str } from '@mqgw/config';
import { LOG_LEVELS, type LogLevelName } from '@mqgw/logging';
import {
  discoveryEnv,
  readDiscoveryConfig,
  type DiscoveryConfig,
} from './discovery/discovery.config';
import {
  observabilityEnv,
  readObservabilityConfig,
  type ObservabilityConfig,
} from './observability/observability.config';
import {
  operationsEnv,
  readOperationsConfig,
  type OperationsConfig,
} from './operations/operations.config';
import { pipelineEnv, readPipelineConfig, type PipelineConfig } from './pipeline/pipeline.config';
import { readStateConfig, stateEnv, type StateConfig } from './state/state.config';
import {
  readTransportConfig,
  transportEnv,
  type TransportConfig,
} from './transport/transport.config';
import { readUpstreamConfig, upstreamEnv, type UpstreamConfig } from './upstream/upstream.config';

/** What the whole process reads. */
const processEnv = {
  NODE_ENV: str({ default: 'development' }),
  LOG_LEVEL: oneOf(LOG_LEVELS, { default: 'log' }),
};

/**
 * Every variable the gateway reads, module by module: each module declares its own slice
 * next to its code and receives only that slice. `.env.example` mirrors this.
 */
export const gatewayEnvSchema = {
  ...processEnv,
  ...operationsEnv,
  ...transportEnv,
  ...stateEnv,
  ...discoveryEnv,
  ...upstreamEnv,
  ...pipelineEnv,
  ...observabilityEnv,
};

export interface GatewayConfig {
  nodeEnv: string;
  logLevel: LogLevelName;
  operations: OperationsConfig;
  transport: TransportConfig;
  state: StateConfig;
  discovery: DiscoveryConfig;
  upstream: UpstreamConfig;
  pipeline: PipelineConfig;
  observability: ObservabilityConfig;
}

/** Reads and validates the environment; a bad value throws a one-line `ConfigError`. */
export function readGatewayConfig(
  env: Record<string, string | undefined> = process.env,
): GatewayConfig {
  const parsed = readEnv(gatewayEnvSchema, env);
  const operations = readOperationsConfig(parsed);
  const state = readStateConfig(parsed);
  return {
    nodeEnv: parsed.NODE_ENV,
    logLevel: parsed.LOG_LEVEL,
    operations,
    transport: readTransportConfig(parsed, operations.httpPort),
    state,
    discovery: readDiscoveryConfig(parsed, state.redis !== undefined),
    upstream: readUpstreamConfig(parsed),
    pipeline: readPipelineConfig(parsed, parsed.NODE_ENV, parsed.UPSTREAM_TIMEOUT_MS),
    observability: readObservabilityConfig(parsed),
  };
}
