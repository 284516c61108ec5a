export * from './lib/service.config';
export * from './lib/validation';
export * from './lib/health.controller';
export * from './lib/registration.lifecycle';
export * from './lib/service-kit.module';
export * from './lib/bootstrap-service';
export * from './lib/id';
export * from './lib/idempotency-key.interceptor';
