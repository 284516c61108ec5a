export * from './lib/for-request';
export * from './lib/logger';
