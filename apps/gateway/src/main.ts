import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { exitCleanlyOnSignals, loadConfigOrExit } from '@mqgw/config';
import { PinoNestLogger, createLogger } from '@mqgw/logging';
import { AppModule } from './app/app.module';
import { readGatewayConfig } from './app/config/gateway.config';
import { formatRouteTable } from './app/routes/route-compiler';
import type { RouteMatcher } from './app/routes/route-matcher';
import { ROUTE_MATCHER } from './app/tokens';
import { MqttRequestServer } from './app/transport/mqtt-request.server';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit(() => readGatewayConfig());
  const logger = new PinoNestLogger(createLogger('gateway', config.LOG_LEVEL));
  const app = await NestFactory.create(AppModule.forRoot(config), { logger });
  const log = new Logger('Gateway');
  if (config.jwt.devSecret) {
    log.warn(
      `JWT_SECRET is unset: using the development secret in ${config.DEV_SECRET_FILE}. ` +
        'Mint a token with "npm run cli -- token --sub <id>". Never run like this in production.',
    );
  }
  log.log(`routes:\n${formatRouteTable(app.get<RouteMatcher>(ROUTE_MATCHER).routes)}`);
  app.connectMicroservice({ strategy: app.get(MqttRequestServer) });
  await app.startAllMicroservices();
  await app.listen(config.HTTP_PORT, config.HTTP_HOST);
  exitCleanlyOnSignals(app, log);
  log.log(
    `ready: MQTT ${config.MQTT_URL} as ${config.clientId}, HTTP http://${config.HTTP_HOST}:${config.HTTP_PORT}`,
  );
}

void bootstrap();
