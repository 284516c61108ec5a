import { ConfigError, int, maybe, oneOf, readEnv, type EnvOf } from '@mqgw/config';
import {
  LOG_FORMATS,
  LOG_LEVELS,
  chooseLogFormat,
  isCi,
  type LogFormat,
  type LogLevelName,
} from '@mqgw/logging';
import { commandsEnv, readCommandsConfig, type CommandsConfig } from './commands/commands.config';
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
import { readRoutingConfig, routingEnv, type RoutingConfig } from './routing/routing.config';
import { readStateConfig, stateEnv, type StateConfig } from './state/state.config';
import {
  readTransportConfig,
  transportEnv,
  type TransportConfig,
} from './transport/transport.config';
import { readUpstreamConfig, upstreamEnv, type UpstreamConfig } from './upstream/upstream.config';

/** What the whole process reads. */
const processEnv = {
  NODE_ENV: oneOf(['development', 'production', 'test'] as const, { default: 'development' }),
  LOG_LEVEL: oneOf(LOG_LEVELS, { default: 'log' }),
  LOG_FORMAT: maybe(
    oneOf(LOG_FORMATS, {
      doc: 'default pretty at a terminal, json in production, in CI and into a pipe or file',
    }),
  ),
  GATEWAY_WORKERS: int({
    default: 1,
    min: 1,
    max: 64,
    doc: 'processes, each a member of the shared subscription; more than 1 needs Redis',
  }),
};

/**
 * Every variable the gateway reads, module by module: each module declares its own slice
 * next to its code and receives only that slice. `.env.example` mirrors this.
 */
export const gatewayEnvSchema = {
  ...processEnv,
  ...operationsEnv,
  ...transportEnv,
  ...routingEnv,
  ...stateEnv,
  ...discoveryEnv,
  ...upstreamEnv,
  ...pipelineEnv,
  ...observabilityEnv,
  ...commandsEnv,
};

export interface GatewayConfig {
  nodeEnv: string;
  logLevel: LogLevelName;
  logFormat: LogFormat;
  workers: number;
  operations: OperationsConfig;
  routing: RoutingConfig;
  transport: TransportConfig;
  state: StateConfig;
  discovery: DiscoveryConfig;
  upstream: UpstreamConfig;
  pipeline: PipelineConfig;
  observability: ObservabilityConfig;
  commands: CommandsConfig;
}

/** The transport's settings, checked against the broker mode and the number of workers. */
function transportFor(
  parsed: EnvOf<typeof gatewayEnvSchema>,
  httpPort: number,
  workers: number,
): TransportConfig {
  const transport = readTransportConfig(parsed, httpPort);
  // The embedded broker admits anyone under any name: it enforces no namespace.
  if (transport.devicePrefix && !transport.url) {
    throw new ConfigError(
      'DEVICE_TOPIC_PREFIX',
      'unset with the embedded broker (set MQTT_URL to a broker that lets each client publish only under <prefix>/<its username>/)',
      transport.devicePrefix,
    );
  }
  // Workers split the requests as members of one shared subscription.
  if (workers > 1 && !transport.sharedGroup) {
    transport.sharedGroup = 'gateway';
    transport.sessionExpirySeconds = parsed.MQTT_SESSION_EXPIRY_SECONDS ?? 0;
  }
  return transport;
}

/** Reads and validates the environment; a bad value throws a one-line `ConfigError`. */
export function readGatewayConfig(
  env: Record<string, string | undefined> = process.env,
): GatewayConfig {
  const parsed = readEnv(gatewayEnvSchema, env);
  const operations = readOperationsConfig(parsed);
  const state = readStateConfig(parsed);
  const workers = parsed.GATEWAY_WORKERS;
  if (workers > 1 && (!state.redis || !parsed.MQTT_URL)) {
    throw new ConfigError(
      'GATEWAY_WORKERS',
      '1 unless MQTT_URL and Redis are set (workers share state through Redis)',
      String(workers),
    );
  }
  const transport = transportFor(parsed, operations.httpPort, workers);
  return {
    nodeEnv: parsed.NODE_ENV,
    logLevel: parsed.LOG_LEVEL,
    logFormat: chooseLogFormat(parsed.LOG_FORMAT, {
      tty: process.stdout.isTTY === true,
      production: parsed.NODE_ENV === 'production',
      ci: isCi(env['CI']),
    }),
    workers,
    operations,
    routing: readRoutingConfig(parsed),
    transport,
    state,
    discovery: readDiscoveryConfig(parsed, state.redis !== undefined),
    upstream: readUpstreamConfig(parsed, parsed.MAX_REPLY_BYTES),
    pipeline: readPipelineConfig(
      parsed,
      parsed.NODE_ENV,
      parsed.UPSTREAM_TIMEOUT_MS,
      parsed.MAX_INFLIGHT,
    ),
    observability: readObservabilityConfig(parsed),
    commands: readCommandsConfig(parsed, transport, parsed.AUTH_FAILURE_WINDOW_SECONDS),
  };
}
