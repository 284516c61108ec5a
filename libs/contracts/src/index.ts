export * from './lib/canonical-json';
export * from './lib/clip';
export * from './lib/error-code';
export * from './lib/failure';
export * from './lib/gateway-error';
export * from './lib/headers';
export * from './lib/reply';
export * from './lib/topic';
