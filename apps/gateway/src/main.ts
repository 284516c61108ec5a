import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { exitCleanlyOnSignals, exitWithEnvSchemaIfAsked, loadConfigOrExit } from '@mqgw/config';
import { PinoNestLogger, createLogger } from '@mqgw/logging';
import { AppModule } from './app/app.module';
import {
  gatewayEnvSchema,
  readGatewayConfig,
  type GatewayConfig,
} from './app/config/gateway.config';
import { EmbeddedBroker, EmbeddedBrokerError } from './app/embedded/embedded-broker';
import { formatRouteTable } from './app/routes/route-compiler';
import type { RouteMatcher } from './app/routes/route-matcher';
import { ROUTE_MATCHER } from './app/tokens';
import { MqttRequestServer } from './app/transport/mqtt-request.server';

async function bootstrap(): Promise<void> {
  exitWithEnvSchemaIfAsked(gatewayEnvSchema);
  const config = await withBroker(loadConfigOrExit(() => readGatewayConfig()));
  const logger = new PinoNestLogger(createLogger('gateway', config.LOG_LEVEL));
  const app = await NestFactory.create(AppModule.forRoot(config), { logger });
  const log = new Logger('Gateway');
  if (config.embeddedBroker || !config.redis) {
    const parts = [
      config.embeddedBroker ? `broker started here on ${config.MQTT_URL} (MQTT_URL unset)` : '',
      config.redis
        ? ''
        : 'registry, limits, breaker, idempotency, metrics and logs kept in this process (no Redis configured)',
    ];
    log.warn(`EMBEDDED MODE, for development only: ${parts.filter(Boolean).join('; ')}`);
  }
  if (config.jwt.devSecret) {
    log.warn(
      `JWT_SECRET is unset: development secret ${config.jwt.secret} (kept in ${config.DEV_SECRET_FILE}). ` +
        'Mint a token with "npm run cli -- token --sub <id>". Never run like this in production.',
    );
  }
  log.log(`routes:\n${formatRouteTable(app.get<RouteMatcher>(ROUTE_MATCHER).routes)}`);
  app.connectMicroservice({ strategy: app.get(MqttRequestServer) });
  await app.init(); // state and discovery first, so no request finds them unready
  await app.startAllMicroservices();
  await app.listen(config.HTTP_PORT, config.HTTP_HOST);
  exitCleanlyOnSignals(app, log);
  log.log(
    `ready: MQTT ${config.MQTT_URL} as ${config.clientId}, HTTP http://${config.HTTP_HOST}:${config.HTTP_PORT}`,
  );
}

/** Starts the embedded broker when MQTT_URL is unset; a failure is one line and exit 78. */
async function withBroker(
  config: GatewayConfig,
): Promise<GatewayConfig & { embeddedBroker: boolean }> {
  if (config.MQTT_URL) return { ...config, embeddedBroker: false };
  try {
    const broker = await EmbeddedBroker.start(config.MQTT_PORT);
    return { ...config, MQTT_URL: broker.url, embeddedBroker: true };
  } catch (error) {
    if (!(error instanceof EmbeddedBrokerError)) throw error;
    process.stderr.write(`config error: ${error.message}\n`);
    process.exit(78);
  }
}

void bootstrap();
