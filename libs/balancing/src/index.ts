export * from './lib/load-balancer';
export * from './lib/round-robin.balancer';
export * from './lib/least-outstanding.balancer';
export * from './lib/weighted.balancer';
export * from './lib/balancer.factory';
