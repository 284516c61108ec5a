import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { GatewayError, REQUEST_HEADER } from '@mqgw/contracts';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';
import type { GatewayRequest } from '../transport/gateway-request';

/**
 * The `origin` step, for browsers on MQTT over WebSocket. A request without an `origin`
 * user property comes from a non-browser client and passes; one with a disallowed origin
 * is FORBIDDEN.
 */
@Injectable()
export class OriginGuard implements CanActivate {
  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToRpc().getContext<GatewayRequest>();
    if (!req.route.middleware.has('origin')) return true;
    const origin = req.headers[REQUEST_HEADER.origin];
    const allowed = this.config.allowedOrigins;
    if (origin === undefined || allowed === '*' || allowed.has(origin)) return true;
    throw new GatewayError('FORBIDDEN', 'origin not allowed');
  }
}
