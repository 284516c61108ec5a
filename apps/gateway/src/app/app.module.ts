import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { ApiKeyStore, JwtVerifier } from '@mqgw/auth';
import { PerServiceBalancer } from '@mqgw/balancing';
import { HealthMonitor, InstanceDirectory, type ServiceRegistry } from '@mqgw/discovery';
import type { KvStore } from '@mqgw/store';
import { GATEWAY_CONFIG, type GatewayConfig } from './config/gateway.config';
import { GatewayLifecycle } from './gateway.lifecycle';
import { HealthController } from './http/health.controller';
import { MetricsController } from './http/metrics.controller';
import { PrometheusMetrics } from './observability/prometheus.metrics';
import { IdempotencyStore } from './middleware/idempotency.store';
import { MIDDLEWARE_PROVIDERS } from './middleware/middleware-chain';
import { MetricsReader } from './observability/metrics.reader';
import { RequestRecorder } from './observability/request-recorder';
import { GatewayOpsController } from './ops/gateway-ops.controller';
import { HealthReporter } from './ops/health.reporter';
import { ProxyController } from './proxy/proxy.controller';
import { UpstreamHttpClient } from './proxy/upstream-http.client';
import { UpstreamService } from './proxy/upstream.service';
import { FallbackCache } from './proxy/fallback-cache';
import { compileRoutes } from './routes/route-compiler';
import { RouteMatcher } from './routes/route-matcher';
import { ROUTES } from './routes/route-table';
import type { RouteDefinition } from './routes/route.types';
import {
  CIRCUIT_BREAKER,
  INSTANCE_DIRECTORY,
  LOAD_BALANCER,
  KV_STORE,
  RATE_LIMITER,
  SHARED_STATE,
  ROUTE_MATCHER,
  SERVICE_REGISTRY,
} from './tokens';
import { createSharedState, type SharedState } from './state/shared-state';
import { MqttRequestServer } from './transport/mqtt-request.server';
import { RequestObserver } from './transport/request-observer';

@Module({})
export class AppModule {
  /** `routes` defaults to the product's table; tests may pass their own. */
  static forRoot(
    config: GatewayConfig,
    routes: readonly RouteDefinition[] = ROUTES,
  ): DynamicModule {
    const logger = new Logger('Gateway');
    return {
      module: AppModule,
      imports: [TerminusModule],
      controllers: [ProxyController, GatewayOpsController, HealthController, MetricsController],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        {
          provide: SHARED_STATE,
          inject: [ModuleRef, PrometheusMetrics],
          useFactory: (moduleRef: ModuleRef, prometheus: PrometheusMetrics) => {
            // The recorder depends on the store, so it is looked up when an event happens.
            const recorder = () => moduleRef.get(RequestRecorder);
            let lastWarning = 0;
            return createSharedState(
              config,
              {
                limiterFallback: (error) => {
                  recorder().count('rate_limit_fallbacks');
                  prometheus.rateLimitFallbacks.inc();
                  if (Date.now() - lastWarning > 10_000) {
                    lastWarning = Date.now();
                    logger.warn(
                      `rate limiter: Redis unavailable (${(error as Error).message}); fail mode ${config.RATE_LIMIT_FAIL_MODE}`,
                    );
                  }
                },
                breakerTransition: ({ service, from, to }) => {
                  recorder().count('breaker_transitions');
                  prometheus.breakerTransitions.inc({ service, to });
                  logger.warn(`circuit for ${service}: ${from} -> ${to}`);
                },
              },
              logger,
            );
          },
        },
        { provide: KV_STORE, inject: [SHARED_STATE], useFactory: (state: SharedState) => state.kv },
        {
          provide: SERVICE_REGISTRY,
          inject: [SHARED_STATE],
          useFactory: (state: SharedState) => state.registry,
        },
        {
          provide: RATE_LIMITER,
          inject: [SHARED_STATE],
          useFactory: (state: SharedState) => state.limiter,
        },
        {
          provide: CIRCUIT_BREAKER,
          inject: [SHARED_STATE],
          useFactory: (state: SharedState) => state.breaker,
        },
        { provide: ROUTE_MATCHER, useFactory: () => new RouteMatcher(compileRoutes(routes)) },
        {
          provide: INSTANCE_DIRECTORY,
          inject: [SERVICE_REGISTRY, ROUTE_MATCHER],
          useFactory: (registry: ServiceRegistry, matcher: RouteMatcher) =>
            new InstanceDirectory(registry, {
              refreshMs: config.DISCOVERY_REFRESH_MS,
              staticInstances: config.staticInstances,
              services: matcher.routes.flatMap((r) => (r.service ? [r.service] : [])),
              onError: (error) =>
                logger.warn(`discovery refresh failed: ${(error as Error).message}`),
              health:
                config.HEALTH_CHECK_INTERVAL_SECONDS > 0
                  ? new HealthMonitor({
                      intervalMs: config.HEALTH_CHECK_INTERVAL_SECONDS * 1000,
                      timeoutMs: config.HEALTH_CHECK_TIMEOUT_MS,
                      unhealthyAfter: 3,
                      healthyAfter: 2,
                      onChange: (url, healthy) =>
                        logger.warn(
                          `instance ${url} is ${healthy ? 'healthy again' : 'unhealthy'}`,
                        ),
                    })
                  : undefined,
            }),
        },
        {
          provide: LOAD_BALANCER,
          useValue: new PerServiceBalancer(config.BALANCER_STRATEGY, config.balancerOverrides),
        },
        {
          provide: FallbackCache,
          inject: [KV_STORE],
          useFactory: (kv: KvStore) => new FallbackCache(kv, config.REDIS_KEY_PREFIX),
        },
        UpstreamHttpClient,
        UpstreamService,
        {
          provide: IdempotencyStore,
          inject: [KV_STORE],
          useFactory: (kv: KvStore) => new IdempotencyStore(kv, config.REDIS_KEY_PREFIX),
        },
        {
          provide: JwtVerifier,
          useFactory: () =>
            new JwtVerifier({
              ...config.jwt,
              issuer: config.JWT_ISSUER,
              audience: config.JWT_AUDIENCE,
              clockToleranceSeconds: config.JWT_CLOCK_TOLERANCE_SECONDS,
              cacheMax: config.AUTH_CACHE_MAX,
              cacheTtlSeconds: config.AUTH_CACHE_TTL_SECONDS,
            }),
        },
        {
          provide: ApiKeyStore,
          inject: [KV_STORE],
          useFactory: (kv: KvStore) =>
            new ApiKeyStore(kv, {
              keyPrefix: config.REDIS_KEY_PREFIX,
              cacheTtlSeconds: config.API_KEY_CACHE_TTL_SECONDS,
              cacheMax: config.AUTH_CACHE_MAX,
            }),
        },
        PrometheusMetrics,
        RequestRecorder,
        { provide: RequestObserver, useExisting: RequestRecorder },
        MetricsReader,
        HealthReporter,
        ...MIDDLEWARE_PROVIDERS,
        {
          provide: MqttRequestServer,
          inject: [ROUTE_MATCHER, RequestObserver],
          useFactory: (matcher: RouteMatcher, observer: RequestObserver) =>
            new MqttRequestServer(
              {
                url: config.MQTT_URL ?? `mqtt://127.0.0.1:${config.MQTT_PORT}`,
                clientId: config.clientId,
                username: config.MQTT_USERNAME,
                password: config.MQTT_PASSWORD,
                sessionExpirySeconds: config.MQTT_SESSION_EXPIRY_SECONDS,
                sharedGroup: config.SHARED_SUBSCRIPTION_GROUP,
                maxPayloadBytes: config.MAX_PAYLOAD_BYTES,
                maxInflight: config.MAX_INFLIGHT,
                replyTopicPattern: config.REPLY_TOPIC_PATTERN,
                shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
              },
              matcher,
              observer,
            ),
        },
        GatewayLifecycle,
      ],
    };
  }
}
