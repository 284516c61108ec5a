import type { CallHandler, CanActivate, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { isObservable, lastValueFrom, type Observable } from 'rxjs';
import type { Span } from '@opentelemetry/api';
import { failed } from '../request/request-trace';
import { promised, requestOf, resultOf } from './pipeline-step';

/**
 * A guard recorded as a span of its request's trace: `step <name>`, with its verdict and,
 * for `auth`, the kind of principal it established. A request that is not traced runs the
 * guard as it is. The runner wraps steps in these only when tracing is on.
 */
export class TracedGuard implements CanActivate {
  constructor(
    private readonly guard: CanActivate,
    private readonly name: string,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> | Observable<boolean> {
    const trace = requestOf(context).trace;
    if (!trace) return this.guard.canActivate(context);
    const span = trace.step(this.name);
    let verdict;
    try {
      verdict = this.guard.canActivate(context);
    } catch (error) {
      throw this.failed(span, error);
    }
    if (typeof verdict === 'boolean') return this.ended(span, context, verdict);
    const settled = isObservable(verdict) ? lastValueFrom(verdict) : verdict;
    return settled.then(
      (allowed) => this.ended(span, context, allowed),
      (error: unknown) => {
        throw this.failed(span, error);
      },
    );
  }

  private ended(span: Span, context: ExecutionContext, allowed: boolean): boolean {
    span.setAttribute('mqgw.step.allowed', allowed);
    if (this.name === 'auth') {
      span.setAttribute('mqgw.principal.kind', requestOf(context).principal.kind);
    }
    span.end();
    return allowed;
  }

  private failed(span: Span, error: unknown): unknown {
    failed(span, error);
    span.end();
    return error;
  }
}

/**
 * An interceptor recorded as a span of its request's trace: `step <name>`, the parent of
 * the rest of the pipeline that runs inside it (the next steps, the upstream attempts).
 */
export class TracedInterceptor implements NestInterceptor {
  constructor(
    private readonly interceptor: NestInterceptor,
    private readonly name: string,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const trace = requestOf(context).trace;
    const returned = () => this.interceptor.intercept(context, next);
    if (!trace) return promised(resultOf(returned()));
    return promised(trace.within(trace.step(this.name), () => resultOf(returned())));
  }
}
