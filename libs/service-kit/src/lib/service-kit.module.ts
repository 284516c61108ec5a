import { Module } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { CallerGuard } from './caller';
import { HealthController } from './health.controller';
import { IdempotencyKeyInterceptor } from './idempotency-key.interceptor';
import { RegistrationLifecycle } from './registration.lifecycle';
import { createValidationPipe } from './validation.pipe';

/**
 * What every stub service shares: `GET /health`, registry lifecycle, a caller
 * (`X-User-ID`) on every other route, DTO validation, and `Idempotency-Key`.
 */
@Module({
  imports: [TerminusModule],
  controllers: [HealthController],
  providers: [
    RegistrationLifecycle,
    { provide: APP_GUARD, useClass: CallerGuard },
    { provide: APP_PIPE, useFactory: createValidationPipe },
    { provide: APP_INTERCEPTOR, useFactory: () => new IdempotencyKeyInterceptor() },
  ],
  exports: [RegistrationLifecycle],
})
export class ServiceKitModule {}
