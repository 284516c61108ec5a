import type { CallHandler, CanActivate, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { isObservable, lastValueFrom, type Observable } from 'rxjs';
import type { GatewayRequest } from '../request/gateway-request';
import type { RequestTrace } from '../request/request-trace';
import { promiseOf, promised, requestOf } from './pipeline-step';

/**
 * A guard whose run is recorded in its request's trace: an event `step <name>` on the
 * server span, with its verdict, its duration and, for `auth`, the kind of principal it
 * established. A guard that is not `timed` (it takes microseconds) is recorded only when it
 * refuses or throws. A request that is not traced, or not sampled, runs the guard as it is.
 * The runner wraps steps in these only when tracing is on.
 */
export class TracedGuard implements CanActivate {
  constructor(
    private readonly guard: CanActivate,
    private readonly name: string,
    private readonly timed: boolean,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> | Observable<boolean> {
    const req = requestOf(context);
    const trace = req.trace;
    if (!trace?.recording) return this.guard.canActivate(context);
    const started = performance.now();
    let verdict;
    try {
      verdict = this.guard.canActivate(context);
    } catch (error) {
      trace.stepDone(this.name, started, { error });
      throw error;
    }
    if (typeof verdict === 'boolean') return this.done(trace, req, started, verdict);
    const settled = isObservable(verdict) ? lastValueFrom(verdict) : verdict;
    return settled.then(
      (allowed) => this.done(trace, req, started, allowed),
      (error: unknown) => {
        trace.stepDone(this.name, started, { error });
        throw error;
      },
    );
  }

  private done(trace: RequestTrace, req: GatewayRequest, started: number, allowed: boolean) {
    if (allowed && !this.timed) return true;
    const principal = this.name === 'auth' ? req.principal.kind : undefined;
    trace.stepDone(this.name, started, { allowed, principal });
    return allowed;
  }
}

/**
 * An interceptor whose run is recorded in its request's trace: an event `step <name>` on
 * the server span, lasting from its start until it settles, so with the rest of the
 * pipeline it wraps (the next steps, the upstream attempts) inside it. One that is not
 * `timed` is recorded only when it (or what it wraps) throws, which costs a promise rather
 * than a wrapper around the rest.
 */
export class TracedInterceptor implements NestInterceptor {
  constructor(
    private readonly interceptor: NestInterceptor,
    private readonly name: string,
    private readonly timed: boolean,
  ) {}

  intercept(
    context: ExecutionContext,
    next: CallHandler,
  ): ReturnType<NestInterceptor['intercept']> {
    const trace = requestOf(context).trace;
    if (!trace?.recording) return this.interceptor.intercept(context, next);
    const started = performance.now();
    const failed = (error: unknown) => {
      trace.stepDone(this.name, started, { error });
      throw error;
    };
    let returned;
    try {
      returned = this.interceptor.intercept(context, next);
    } catch (error) {
      return failed(error);
    }
    const settled = promiseOf(returned);
    if (!this.timed) return promised(settled.catch(failed));
    const done = (result: unknown) => {
      trace.stepDone(this.name, started, {});
      return result;
    };
    return promised(settled.then(done, failed));
  }
}
