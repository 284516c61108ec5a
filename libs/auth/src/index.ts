export * from './lib/auth-error';
export * from './lib/identity';
export * from './lib/bounded-cache';
export * from './lib/jwt.verifier';
export * from './lib/api-key.store';
export * from './lib/device.store';
export * from './lib/dev-token';
export * from './lib/dev-secret';
