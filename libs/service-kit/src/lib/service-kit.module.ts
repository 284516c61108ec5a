import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { IdempotencyKeyInterceptor } from './idempotency-key.interceptor';
import { RegistrationLifecycle } from './registration.lifecycle';

/** What every stub service shares: `GET /health`, registry lifecycle, `Idempotency-Key`. */
@Module({
  imports: [TerminusModule],
  controllers: [HealthController],
  providers: [
    RegistrationLifecycle,
    { provide: APP_INTERCEPTOR, useFactory: () => new IdempotencyKeyInterceptor() },
  ],
  exports: [RegistrationLifecycle],
})
export class ServiceKitModule {}
