import { Injectable } from '@nestjs/common';
import { REQUEST_HEADER, isReservedHeader } from '@mqgw/contracts';
import type { GatewayRequest } from '../../request/gateway-request';
import { PipelineInterceptor, type Next } from '../pipeline-step';

/**
 * `forwardHeaders`: passes the client's own `x-*` headers to the service. Identity and
 * proxy headers (`x-user-id`, `x-forwarded-*`, `x-gateway-*`) and the API key never pass.
 * Routes without this step send only the gateway's headers.
 */
@Injectable()
export class ForwardHeadersInterceptor extends PipelineInterceptor {
  readonly step = 'forwardHeaders' as const;

  around(req: GatewayRequest, _body: unknown, next: Next): Promise<unknown> {
    for (const name in req.headers) {
      if (name.startsWith('x-') && name !== REQUEST_HEADER.apiKey && !isReservedHeader(name)) {
        req.forwardHeaders[name] = req.headers[name];
      }
    }
    return next();
  }
}
