import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import type { RedisClient } from '@mqgw/store';
import type { SelfRegistration } from '@mqgw/discovery';

/**
 * Deregisters before the HTTP server closes, so the gateway stops routing here first and
 * requests already in flight still finish.
 */
@Injectable()
export class RegistrationLifecycle implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Registration');
  private registration?: SelfRegistration;
  private redis?: RedisClient;

  attach(registration: SelfRegistration, redis: RedisClient): void {
    this.registration = registration;
    this.redis = redis;
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.registration) return;
    try {
      await this.registration.stop();
      this.logger.log(`deregistered ${this.registration.instanceId}`);
    } catch (error) {
      this.logger.warn(`deregistration failed: ${(error as Error).message}`);
    }
    this.redis?.disconnect();
  }
}
