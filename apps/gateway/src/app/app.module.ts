import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { Redis } from 'ioredis';
import { ApiKeyStore, JwtVerifier } from '@mqgw/auth';
import { PerServiceBalancer } from '@mqgw/balancing';
import { RedisCircuitBreaker } from '@mqgw/breaker';
import {
  HealthMonitor,
  InstanceDirectory,
  RedisServiceRegistry,
  type ServiceRegistry,
} from '@mqgw/discovery';
import { FailoverLimiter, RedisSlidingWindowLimiter } from '@mqgw/rate-limit';
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
  RATE_LIMITER,
  REDIS,
  ROUTE_MATCHER,
  SERVICE_REGISTRY,
} from './tokens';
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
          provide: REDIS,
          useFactory: () => {
            // Fail fast while Redis is away instead of queueing commands without bound.
            const redis = new Redis(config.REDIS_URL, {
              maxRetriesPerRequest: 1,
              enableOfflineQueue: false,
              lazyConnect: true,
              // Commands issued in the same tick share one round trip (per slot on Cluster).
              enableAutoPipelining: true,
            });
            redis.on('error', (error) => logger.warn(`redis: ${error.message}`));
            redis
              .connect()
              .catch((error) => logger.warn(`redis unavailable at boot: ${error.message}`));
            return redis;
          },
        },
        { provide: ROUTE_MATCHER, useFactory: () => new RouteMatcher(compileRoutes(routes)) },
        {
          provide: SERVICE_REGISTRY,
          inject: [REDIS],
          useFactory: (redis: Redis) =>
            new RedisServiceRegistry(redis, {
              keyPrefix: config.REDIS_KEY_PREFIX,
              subscriber: () => {
                const subscriber = redis.duplicate({ enableOfflineQueue: true });
                subscriber.on('error', () => undefined); // the main connection logs Redis errors
                return subscriber;
              },
            }),
        },
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
          provide: CIRCUIT_BREAKER,
          inject: [REDIS, RequestRecorder, PrometheusMetrics],
          useFactory: (redis: Redis, recorder: RequestRecorder, prometheus: PrometheusMetrics) =>
            new RedisCircuitBreaker(redis, {
              failureThreshold: config.BREAKER_FAILURE_THRESHOLD,
              recoveryMs: config.BREAKER_RECOVERY_SECONDS * 1000,
              halfOpenProbes: config.BREAKER_HALF_OPEN_PROBES,
              keyPrefix: config.REDIS_KEY_PREFIX,
              subscriber: () => {
                const subscriber = redis.duplicate({ enableOfflineQueue: true });
                subscriber.on('error', () => undefined);
                return subscriber;
              },
              onTransition: ({ service, from, to }) => {
                recorder.count('breaker_transitions');
                prometheus.breakerTransitions.inc({ service, to });
                logger.warn(`circuit for ${service}: ${from} -> ${to}`);
              },
            }),
        },
        {
          provide: FallbackCache,
          inject: [REDIS],
          useFactory: (redis: Redis) => new FallbackCache(redis, config.REDIS_KEY_PREFIX),
        },
        UpstreamHttpClient,
        UpstreamService,
        {
          provide: IdempotencyStore,
          inject: [REDIS],
          useFactory: (redis: Redis) => new IdempotencyStore(redis, config.REDIS_KEY_PREFIX),
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
          inject: [REDIS],
          useFactory: (redis: Redis) =>
            new ApiKeyStore(redis, {
              keyPrefix: config.REDIS_KEY_PREFIX,
              cacheTtlSeconds: config.API_KEY_CACHE_TTL_SECONDS,
              cacheMax: config.AUTH_CACHE_MAX,
            }),
        },
        {
          provide: RATE_LIMITER,
          inject: [REDIS, RequestRecorder, PrometheusMetrics],
          useFactory: (redis: Redis, recorder: RequestRecorder, prometheus: PrometheusMetrics) => {
            let lastWarning = 0;
            return new FailoverLimiter(
              new RedisSlidingWindowLimiter(redis, config.REDIS_KEY_PREFIX),
              config.RATE_LIMIT_FAIL_MODE,
              (error) => {
                recorder.count('rate_limit_fallbacks');
                prometheus.rateLimitFallbacks.inc();
                if (Date.now() - lastWarning > 10_000) {
                  lastWarning = Date.now();
                  logger.warn(
                    `rate limiter: Redis unavailable (${(error as Error).message}); fail mode ${config.RATE_LIMIT_FAIL_MODE}`,
                  );
                }
              },
            );
          },
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
                url: config.MQTT_URL,
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
