export { InMemoryServiceRegistry } from './lib/in-memory-service.registry';
export { describeServiceRegistryContract } from './lib/service-registry.contract';
