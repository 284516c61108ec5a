export * from './lib/rate-limiter';
export * from './lib/redis-sliding-window.limiter';
export * from './lib/in-memory-sliding-window.limiter';
export * from './lib/failover.limiter';
