export * from './lib/load-balancer';
export * from './lib/round-robin.balancer';
