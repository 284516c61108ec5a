import { Inject, Injectable } from '@nestjs/common';
import { GatewayError, REQUEST_HEADER } from '@mqgw/contracts';
import type { GatewayRequest } from '../../request/gateway-request';
import { PIPELINE_CONFIG, type PipelineConfig } from '../pipeline.config';
import { PipelineGuard } from '../pipeline-step';

/**
 * `origin`, for browsers on MQTT over WebSocket. A request without an `origin` user
 * property comes from a non-browser client and passes; one with a disallowed origin is
 * FORBIDDEN. First, because it costs no I/O.
 */
@Injectable()
export class OriginGuard extends PipelineGuard {
  readonly step = 'origin' as const;

  constructor(@Inject(PIPELINE_CONFIG) private readonly config: PipelineConfig) {
    super();
  }

  protected check(req: GatewayRequest): boolean {
    const origin = req.headers[REQUEST_HEADER.origin];
    const allowed = this.config.allowedOrigins;
    if (origin === undefined || allowed === '*' || allowed.has(origin)) return true;
    throw new GatewayError('FORBIDDEN', 'origin not allowed');
  }
}
