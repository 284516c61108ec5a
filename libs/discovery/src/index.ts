export * from './lib/service-instance';
export * from './lib/registry.keys';
export * from './lib/redis-service.registry';
export * from './lib/in-memory-service.registry';
export * from './lib/self-registration';
export * from './lib/instance-directory';
export * from './lib/health-monitor';
