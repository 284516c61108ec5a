export * from './lib/bounded-export';
export * from './lib/safe-attributes';
export * from './lib/trace-context';
export * from './lib/tracing';
export * from './lib/tracing.config';
