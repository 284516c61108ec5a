export { describeCircuitBreakerContract } from './lib/circuit-breaker.contract';
