export * from './lib/breaker.types';
export * from './lib/redis-circuit.breaker';
export * from './lib/in-memory-circuit.breaker';
