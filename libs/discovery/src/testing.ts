export { InMemoryServiceRegistry } from './lib/in-memory-service.registry';
