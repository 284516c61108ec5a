import { Logger, type DynamicModule, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import { exitCleanlyOnSignals } from '@mqgw/config';
import { RedisServiceRegistry, SelfRegistration } from '@mqgw/discovery';
import { PinoNestLogger, createLogger } from '@mqgw/logging';
import { createRedisClient } from '@mqgw/store';
import { readTracingSettings, startTracing } from '@mqgw/tracing';
import type { AddressInfo } from 'node:net';
import type { ServiceConfig } from './service.config';
import { RegistrationLifecycle } from './registration.lifecycle';
import { traceRequests } from './trace-requests.middleware';
import { listenOrExit } from './listen';

export interface BootstrapServiceOptions {
  module: Type<unknown> | DynamicModule;
  /** Registry names; the first is the service's own. */
  names: readonly string[];
  config: ServiceConfig;
}

/** Starts a stub service: HTTP, shutdown hooks, then self-registration once listening. */
export async function bootstrapService(
  options: BootstrapServiceOptions,
): Promise<INestApplication> {
  const { config, names } = options;
  const app = await NestFactory.create(options.module, {
    logger: new PinoNestLogger(
      createLogger(names[0], config.LOG_LEVEL, undefined, config.logFormat),
    ),
  });
  const logger = new Logger(names[0]);
  startTracingIfAsked(app, names[0], config, logger);
  await listenOrExit(app, names[0], config.PORT, config.HOST);
  const port = (app.getHttpServer().address() as AddressInfo).port;
  const url = (config.PUBLIC_URL ?? `http://${config.HOST}:${port}`).replace(/\/+$/, '');

  if (config.redis) {
    const redis = createRedisClient(config.redis, {
      maxRetriesPerRequest: 2,
      enableOfflineQueue: true,
    });
    const registration = new SelfRegistration(
      new RedisServiceRegistry(redis, { keyPrefix: config.REDIS_KEY_PREFIX }),
      {
        names,
        url,
        healthUrl: `${url}/health`,
        instanceId: config.INSTANCE_ID,
        metadata: { version: config.SERVICE_VERSION, weight: 1 },
        heartbeatSeconds: config.HEARTBEAT_SECONDS,
        ttlSeconds: config.REGISTRY_TTL_SECONDS,
        onError: (error) => logger.warn(`heartbeat failed: ${(error as Error).message}`),
      },
    );
    await registration.start();
    app.get(RegistrationLifecycle).attach(registration, redis);
    logger.log(`registered as ${names.join(', ')} (${registration.instanceId}) at ${url}`);
  } else {
    logger.log(`listening at ${url}; no Redis configured, not registering`);
  }
  exitCleanlyOnSignals(app, logger);
  return app;
}

/**
 * With an OTLP endpoint set (OTEL_EXPORTER_OTLP_ENDPOINT), each request gets a server span
 * that continues the gateway's trace (docs/tracing.md); pending spans are exported on close.
 */
function startTracingIfAsked(
  app: INestApplication,
  name: string,
  config: ServiceConfig,
  logger: Logger,
): void {
  const settings = readTracingSettings(config, name);
  if (!settings) return;
  const tracing = startTracing(settings, { scope: name, warn: (line) => logger.warn(line) });
  app.use(traceRequests(tracing.tracer));
  app.get(RegistrationLifecycle).onClose(() => tracing.shutdown());
  logger.log(`exporting spans to ${settings.endpoint} as ${settings.serviceName}`);
}
