import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { GatewayError, REQUEST_HEADER } from '@mqgw/contracts';
import { PIPELINE_CONFIG, type PipelineConfig } from '../pipeline.config';
import { requestOf } from '../pipeline-step';

/**
 * `origin`, for browsers on MQTT over WebSocket. A request without an `origin` user
 * property comes from a non-browser client and passes; one with a disallowed origin is
 * FORBIDDEN.
 */
@Injectable()
export class OriginGuard implements CanActivate {
  constructor(@Inject(PIPELINE_CONFIG) private readonly config: PipelineConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const origin = requestOf(context).headers[REQUEST_HEADER.origin];
    const allowed = this.config.allowedOrigins;
    if (origin === undefined || allowed === '*' || allowed.has(origin)) return true;
    throw new GatewayError('FORBIDDEN', 'origin not allowed');
  }
}
