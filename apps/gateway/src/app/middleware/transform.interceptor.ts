import { Injectable } from '@nestjs/common';
import { REQUEST_HEADER, isReservedHeader } from '@mqgw/contracts';
import type { GatewayRequest } from '../transport/gateway-request';
import type { InterceptorStep, Next } from './interceptor-step';

/**
 * The `transform` step: forwards the client's own `x-*` headers upstream. Identity and
 * proxy headers (`x-user-id`, `x-forwarded-*`, `x-gateway-*`) and the API key never pass.
 * Routes without `transform` send only the gateway's headers.
 */
@Injectable()
export class TransformInterceptor implements InterceptorStep {
  intercept(req: GatewayRequest, _body: unknown, next: Next): Promise<unknown> {
    if (req.route.middleware.has('transform')) {
      for (const [name, value] of Object.entries(req.headers)) {
        if (name.startsWith('x-') && name !== REQUEST_HEADER.apiKey && !isReservedHeader(name)) {
          req.forwardHeaders[name] = value;
        }
      }
    }
    return next();
  }
}
