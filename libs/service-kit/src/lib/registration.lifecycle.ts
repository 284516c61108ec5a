import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { RedisClient } from '@mqgw/store';
import type { SelfRegistration } from '@mqgw/discovery';

/**
 * Deregisters before the HTTP server closes, so the gateway stops routing here first and
 * requests already in flight still finish; once it has closed, runs what was asked to run
 * last (exporting the last spans).
 */
@Injectable()
export class RegistrationLifecycle implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('Registration');
  private registration?: SelfRegistration;
  private redis?: RedisClient;
  private readonly closers: (() => Promise<void>)[] = [];

  attach(registration: SelfRegistration, redis: RedisClient): void {
    this.registration = registration;
    this.redis = redis;
  }

  /** Runs `close` after the HTTP server has closed. */
  onClose(close: () => Promise<void>): void {
    this.closers.push(close);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.closers.map((close) => close().catch(() => undefined)));
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
