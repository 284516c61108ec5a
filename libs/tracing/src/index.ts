export * from './lib/encoded-batch';
export * from './lib/safe-attributes';
export * from './lib/trace-context';
export * from './lib/tracing';
export * from './lib/tracing.config';
export * from './lib/otlp-encoding';
