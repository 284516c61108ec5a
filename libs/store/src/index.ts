export * from './lib/kv-store';
export * from './lib/redis-kv.store';
export * from './lib/in-memory-kv.store';
export * from './lib/redis-client';
export * from './lib/prefixed-kv.store';
