export * from './lib/concurrency-limit';
export * from './lib/gradient.limit';
export * from './lib/bulkhead';
export * from './lib/fair-share.gate';
