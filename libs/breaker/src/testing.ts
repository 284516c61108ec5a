export {
  CONTRACT_BREAKER_OPTIONS,
  describeCircuitBreakerContract,
} from './lib/circuit-breaker.contract';
