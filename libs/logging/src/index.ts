export * from './lib/for-request';
export * from './lib/log-format';
export * from './lib/logger';
export * from './lib/sampled-log';
