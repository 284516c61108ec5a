export * from './lib/route.types';
export * from './lib/route-compiler';
export * from './lib/route-matcher';
export * from './lib/body-rewrite';
export * from './lib/routes-file.schema';
export * from './lib/routes-file';
export * from './lib/schema-compiler';
export * from './lib/contract-diff';
