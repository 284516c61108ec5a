import type { Logger } from '@nestjs/common';
import {
  InMemoryCircuitBreaker,
  RedisCircuitBreaker,
  type BreakerOptions,
  type CircuitBreaker,
  type Transition,
} from '@mqgw/breaker';
import {
  InMemoryServiceRegistry,
  RedisServiceRegistry,
  type ServiceRegistry,
} from '@mqgw/discovery';
import {
  FailoverLimiter,
  InMemorySlidingWindowLimiter,
  RedisSlidingWindowLimiter,
  type RateLimiter,
} from '@mqgw/rate-limit';
import {
  InMemoryKvStore,
  PrefixedKvStore,
  RedisKvStore,
  createRedisClient,
  type KvStore,
} from '@mqgw/store';
import type { StateConfig } from './state.config';

/**
 * Everything gateway instances share. With Redis configured (`REDIS_URL`, a Cluster or
 * Sentinels) it lives there and N instances
 * agree on it; without, it lives in this process (the embedded mode: one instance,
 * nothing shared). This is the only place that knows which.
 */
export interface SharedState {
  mode: 'redis' | 'memory';
  /** Keys are under `REDIS_KEY_PREFIX`: users of the store name their keys plainly. */
  kv: KvStore;
  registry: ServiceRegistry;
  limiter: RateLimiter;
  breaker: CircuitBreaker;
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface SharedStateEvents {
  limiterFallback(error: unknown): void;
  breakerTransition(transition: Transition): void;
}

export function createSharedState(
  config: StateConfig,
  events: SharedStateEvents,
  logger: Logger,
  /** One service's breaker settings where they differ (the routes file's `breaker`). */
  breakerSettingsFor?: BreakerOptions['settingsFor'],
): SharedState {
  const breakerOptions = {
    ...config.breaker,
    settingsFor: breakerSettingsFor,
    onTransition: events.breakerTransition,
  };
  return config.redis
    ? redisState(config, config.redis, events, logger, breakerOptions)
    : memoryState(config, breakerOptions);
}

/** The embedded mode: everything in this process. */
function memoryState(config: StateConfig, breakerOptions: BreakerOptions): SharedState {
  return {
    mode: 'memory',
    kv: new PrefixedKvStore(new InMemoryKvStore(), config.keyPrefix),
    registry: new InMemoryServiceRegistry(),
    limiter: new InMemorySlidingWindowLimiter(),
    breaker: new InMemoryCircuitBreaker(breakerOptions),
    start: async () => undefined,
    close: async () => undefined,
  };
}

/** Everything in Redis, shared by every instance. */
function redisState(
  config: StateConfig,
  settings: NonNullable<StateConfig['redis']>,
  events: SharedStateEvents,
  logger: Logger,
  breakerOptions: BreakerOptions,
): SharedState {
  const { redis, subscriber } = connections(settings, logger);
  const breaker = new RedisCircuitBreaker(redis, {
    ...breakerOptions,
    keyPrefix: config.keyPrefix,
    subscriber,
  });
  return {
    mode: 'redis',
    kv: new PrefixedKvStore(new RedisKvStore(redis), config.keyPrefix),
    registry: new RedisServiceRegistry(redis, { keyPrefix: config.keyPrefix, subscriber }),
    limiter: new FailoverLimiter(
      new RedisSlidingWindowLimiter(redis, config.keyPrefix),
      config.rateLimitFailMode,
      events.limiterFallback,
    ),
    breaker,
    async start() {
      await redis
        .connect()
        .catch((error: Error) => logger.warn(`redis unavailable at boot: ${error.message}`));
      await breaker
        .start()
        .catch((error: Error) => logger.warn(`breaker events unavailable: ${error.message}`));
    },
    async close() {
      await breaker.stop();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** The main Redis connection, and how to open one for subscribing. */
function connections(settings: NonNullable<StateConfig['redis']>, logger: Logger) {
  const redis = createRedisClient(settings, {
    // Fail fast while Redis is away instead of queueing commands without bound.
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    lazyConnect: true,
    // Commands issued in the same tick share one round trip (per node on Cluster).
    enableAutoPipelining: true,
  });
  redis.on('error', (error: Error) => logger.warn(`redis: ${error.message}`));
  const subscriber = () => {
    const connection = createRedisClient(settings, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: true,
    });
    connection.on('error', () => undefined); // the main connection logs Redis errors
    return connection;
  };
  return { redis, subscriber };
}
