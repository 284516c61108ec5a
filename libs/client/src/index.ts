export * from './lib/wire.types';
export * from './lib/routes.types';
export * from './lib/mqgw.error';
export * from './lib/timeout.error';
export * from './lib/closed.error';
export * from './lib/retry.policy';
export * from './lib/mqgw.client';
