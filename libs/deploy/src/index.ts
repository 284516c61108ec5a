export * from './lib/secrets';
export * from './lib/dev-ca';
export * from './lib/redis-acl';
export * from './lib/broker-policy';
export * from './lib/setup';
