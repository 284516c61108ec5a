import { Catch, type ArgumentsHost, type RpcExceptionFilter } from '@nestjs/common';
import { of, type Observable } from 'rxjs';
import { toErrorReply, type ErrorReply } from '@mqgw/contracts';
import type { GatewayRequest } from '../transport/gateway-request';

/**
 * The one place a thrown error becomes the wire's error envelope. Nest would otherwise
 * turn an HttpException into "Internal server error"; here every `GatewayError` keeps its
 * code and anything else is `INTERNAL_ERROR` without detail.
 */
@Catch()
export class RpcErrorFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown, host: ArgumentsHost): Observable<ErrorReply> {
    const request = host.switchToRpc().getContext<GatewayRequest>();
    return of(toErrorReply(exception, request.requestId));
  }
}
