export * from './lib/env';
export * from './lib/shutdown';
