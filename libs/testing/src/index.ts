export * from './lib/services';
export * from './lib/redis';
export * from './lib/mqtt-requester';
