export * from './lib/breaker.types';
export * from './lib/redis-circuit.breaker';
