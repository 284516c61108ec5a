import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { exitCleanlyOnSignals, exitWithEnvSchemaIfAsked, loadConfigOrExit } from '@mqgw/config';
import { PinoNestLogger, createLogger } from '@mqgw/logging';
import { AppModule } from './app/app.module';
import { EmbeddedBroker, EmbeddedBrokerError } from './app/embedded/embedded-broker';
import { gatewayEnvSchema, readGatewayConfig, type GatewayConfig } from './app/gateway.config';
import { RoutesFileError, loadRoutesFile, type RouteTable } from '@mqgw/routes';
import { ActiveRoutes } from './app/routing/active-routes';
import { routeTableEntry } from './app/routing/route-table.log';
import { NamespaceConflictError } from './app/transport/device-namespace';
import { MqttRequestServer } from './app/transport/mqtt-request.server';

/** What a stop may take beyond SHUTDOWN_GRACE_MS: flushing counters, closing connections. */
const SHUTDOWN_SLACK_MS = 3000;
import { asWorker, isPrimaryOfWorkers, runPrimary, workerIndex } from './workers';

async function bootstrap(): Promise<void> {
  exitWithEnvSchemaIfAsked(gatewayEnvSchema);
  const read = loadConfigOrExit(() => readGatewayConfig());
  if (isPrimaryOfWorkers(read.workers)) {
    const primary = createLogger('gateway', read.logLevel, undefined, read.logFormat);
    return runPrimary(read.workers, (line) => primary.warn({ context: 'Workers' }, line));
  }
  const index = workerIndex();
  const config = index === undefined ? read : asWorker(read, index);
  const routes = loadRoutesOrExit(config.routing.file);
  const embeddedBroker = await startEmbeddedBrokerIfNeeded(config);
  const app = await createAppOrExit(config, routes);
  const log = new Logger('Gateway');
  logStartup(log, config, routes, embeddedBroker);
  // SIGHUP loads the routes file again; a bad file keeps the current table.
  const active = app.get(ActiveRoutes);
  process.on('SIGHUP', () => {
    active.reload().catch((error: Error) => log.error(`routes reload failed: ${error.message}`));
  });
  app.connectMicroservice({ strategy: app.get(MqttRequestServer) });
  await app.init(); // state and discovery first, so no request finds them unready
  await app.startAllMicroservices();
  const { httpPort, httpHost } = config.operations;
  await app.listen(httpPort, httpHost);
  exitCleanlyOnSignals(app, log, {
    hardLimitMs: config.transport.shutdownGraceMs + SHUTDOWN_SLACK_MS,
  });
  log.log(
    `ready: MQTT ${config.transport.url} as ${config.transport.clientId}, HTTP http://${httpHost}:${httpPort}`,
  );
}

/** The Nest application, or one line naming a routes-file namespace conflict, and exit 78. */
async function createAppOrExit(config: GatewayConfig, routes: RouteTable) {
  const logger = new PinoNestLogger(
    createLogger('gateway', config.logLevel, undefined, config.logFormat),
  );
  // No body parser: the only HTTP body is a device command's, which its controller reads
  // raw and bounded (docs/mqtt-api.md, "Commands to devices").
  return NestFactory.create(AppModule.forRoot(config, routes), {
    logger,
    bodyParser: false,
    abortOnError: false,
  }).catch((error: unknown) => {
    if (!(error instanceof NamespaceConflictError)) throw error;
    process.stderr.write(`routes error: ${config.routing.file}: ${error.message}\n`);
    process.exit(78);
  });
}

/** What a person starting the gateway must know: warnings, the mode, the route table. */
function logStartup(
  log: Logger,
  config: GatewayConfig,
  routes: RouteTable,
  embeddedBroker: boolean,
): void {
  for (const warning of routes.warnings) log.warn(`routes: ${warning}`);
  if (embeddedBroker || !config.state.redis) {
    const parts = [
      embeddedBroker ? `broker started here on ${config.transport.url} (MQTT_URL unset)` : '',
      config.state.redis
        ? ''
        : 'registry, limits, breaker, idempotency, metrics and logs kept in this process (no Redis configured)',
    ];
    log.warn(`EMBEDDED MODE, for development only: ${parts.filter(Boolean).join('; ')}`);
  }
  const { jwt } = config.pipeline;
  if (jwt.devSecret) {
    // The secret itself is never logged, in any mode: logs travel further than files.
    log.warn(
      `JWT_SECRET is unset: using the development secret in ${jwt.devSecretFile} (mode 0600). ` +
        'Mint a token with "npm run cli -- token --sub <id>". Never run like this in production.',
    );
  }
  log.log(routeTableEntry(routes));
}

/** The routes file, or one line naming the file, line and field, and exit 78. */
function loadRoutesOrExit(file: string): RouteTable {
  try {
    return loadRoutesFile(file);
  } catch (error) {
    if (!(error instanceof RoutesFileError)) throw error;
    process.stderr.write(`routes error: ${error.message}\n`);
    process.exit(78);
  }
}

/** Starts the embedded broker when MQTT_URL is unset; a failure is one line and exit 78. */
async function startEmbeddedBrokerIfNeeded(config: GatewayConfig): Promise<boolean> {
  if (config.transport.url) return false;
  try {
    const broker = await EmbeddedBroker.start(config.transport.embeddedPort);
    config.transport.url = broker.url;
    return true;
  } catch (error) {
    if (!(error instanceof EmbeddedBrokerError)) throw error;
    process.stderr.write(`config error: ${error.message}\n`);
    process.exit(78);
  }
}

void bootstrap();
