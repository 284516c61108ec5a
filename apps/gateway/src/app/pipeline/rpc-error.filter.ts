import { Catch, type ArgumentsHost, type RpcExceptionFilter } from '@nestjs/common';
import { of, type Observable } from 'rxjs';
import { toErrorReply, type ErrorReply } from '@mqgw/contracts';
import type { GatewayRequest } from '../request/gateway-request';

/**
 * When a handler runs through Nest's own dispatch, this turns anything thrown into the
 * wire's error envelope, with the same `toErrorReply` the transport uses: every
 * `GatewayError` keeps its code, anything else is `INTERNAL_ERROR` without detail.
 */
@Catch()
export class RpcErrorFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown, host: ArgumentsHost): Observable<ErrorReply> {
    const request = host.switchToRpc().getContext<GatewayRequest>();
    return of(toErrorReply(exception, request.requestId));
  }
}
