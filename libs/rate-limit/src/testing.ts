export { describeRateLimiterContract } from './lib/rate-limiter.contract';
