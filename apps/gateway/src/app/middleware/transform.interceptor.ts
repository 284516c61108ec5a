import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { Observable } from 'rxjs';
import { REQUEST_HEADER, isReservedHeader } from '@mqgw/contracts';
import type { GatewayRequest } from '../transport/gateway-request';

/**
 * The `transform` step: forwards the client's own `x-*` headers upstream. Identity and
 * proxy headers (`x-user-id`, `x-forwarded-*`, `x-gateway-*`) and the API key never pass.
 * Routes without `transform` send only the gateway's headers.
 */
@Injectable()
export class TransformInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToRpc().getContext<GatewayRequest>();
    if (req.route.middleware.has('transform')) {
      for (const [name, value] of Object.entries(req.headers)) {
        if (name.startsWith('x-') && name !== REQUEST_HEADER.apiKey && !isReservedHeader(name)) {
          req.forwardHeaders[name] = value;
        }
      }
    }
    return next.handle();
  }
}
