export * from './lib/services';
export * from './lib/redis';
export * from './lib/mqtt-requester';
export * from './lib/redis-topologies';
export * from './lib/private-servers';
export * from './lib/wait';
export * from './lib/official-otlp';
