import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { RegistrationLifecycle } from './registration.lifecycle';

/** What every stub service shares: `GET /health` and registry lifecycle. */
@Module({
  imports: [TerminusModule],
  controllers: [HealthController],
  providers: [RegistrationLifecycle],
  exports: [RegistrationLifecycle],
})
export class ServiceKitModule {}
