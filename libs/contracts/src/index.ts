export * from './lib/error-code';
export * from './lib/gateway-error';
export * from './lib/headers';
export * from './lib/reply';
export * from './lib/topic';
