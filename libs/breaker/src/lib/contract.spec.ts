import { openTestRedis } from '@mqgw/testing';
import {
  CONTRACT_BREAKER_OPTIONS,
  describeCircuitBreakerContract,
} from './circuit-breaker.contract';
import { InMemoryCircuitBreaker } from './in-memory-circuit.breaker';
import { RedisCircuitBreaker } from './redis-circuit.breaker';
import type { Transition } from './breaker.types';

const options = CONTRACT_BREAKER_OPTIONS;

describeCircuitBreakerContract('RedisCircuitBreaker', async () => {
  const t = await openTestRedis('breaker-contract');
  const transitions: Transition[] = [];
  const breaker = new RedisCircuitBreaker(t.redis, {
    ...options,
    keyPrefix: t.prefix,
    onTransition: (x) => transitions.push(x),
  });
  return { breaker, transitions, teardown: () => t.close() };
});

describeCircuitBreakerContract('InMemoryCircuitBreaker', async () => {
  const transitions: Transition[] = [];
  return {
    breaker: new InMemoryCircuitBreaker({ ...options, onTransition: (x) => transitions.push(x) }),
    transitions,
  };
});
