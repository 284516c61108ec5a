import type { CallHandler, CanActivate, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { from, lastValueFrom, type Observable } from 'rxjs';
import type { GatewayRequest } from '../request/gateway-request';
import type { MiddlewareName } from '@mqgw/routes';

/** What runs below an interceptor: the remaining interceptors, then the handler. */
export type Next = () => Promise<unknown>;

/**
 * A guard of the pipeline: a Nest guard for the route-table step it names, which lets
 * through routes without that step. `check` allows or throws a `GatewayError`.
 */
export abstract class PipelineGuard implements CanActivate {
  abstract readonly step: MiddlewareName;

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const req = context.switchToRpc().getContext<GatewayRequest>();
    return req.route.middleware.has(this.step) ? this.check(req) : true;
  }

  protected abstract check(req: GatewayRequest): boolean | Promise<boolean>;
}

/**
 * An interceptor of the pipeline: a Nest interceptor for the route-table step it names.
 * Its work is written once, in `around`, with the rest of the pipeline as a promise;
 * `intercept` is that same work for Nest (`@UseInterceptors`), and the pipeline runner
 * calls `around` directly, which spares each step the observable Nest wraps it in.
 */
export abstract class PipelineInterceptor implements NestInterceptor {
  abstract readonly step: MiddlewareName;

  abstract around(req: GatewayRequest, body: Record<string, unknown>, next: Next): Promise<unknown>;

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const rpc = context.switchToRpc();
    const req = rpc.getContext<GatewayRequest>();
    if (!req.route.middleware.has(this.step)) return next.handle();
    return from(
      this.around(req, rpc.getData<Record<string, unknown>>(), () =>
        lastValueFrom(next.handle(), { defaultValue: undefined }),
      ),
    );
  }
}
