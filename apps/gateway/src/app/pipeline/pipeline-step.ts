import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { Observable, from, lastValueFrom } from 'rxjs';
import type { GatewayRequest } from '../request/gateway-request';

/** The request a step works on: the RPC context of the handler. */
export function requestOf(context: ExecutionContext): GatewayRequest {
  return context.switchToRpc().getContext<GatewayRequest>();
}

/**
 * An observable of one promised value that keeps the promise at hand. Steps are Nest
 * interceptors, so `intercept` returns an observable; the pipeline runner takes the promise
 * straight back instead of subscribing, which spares each step the observable machinery on
 * the hot path. Under Nest's own dispatch it is an ordinary observable.
 */
export class PromisedObservable<T> extends Observable<T> {
  constructor(readonly promise: Promise<T>) {
    super((subscriber) => from(promise).subscribe(subscriber));
  }
}

/** What an interceptor returns for work written with promises. */
export function promised<T>(promise: Promise<T>): Observable<T> {
  return new PromisedObservable(promise);
}

/** The result of the rest of the pipeline, as a promise: what an interceptor awaits. */
export function settled(next: CallHandler): Promise<unknown> {
  const rest = next.handle();
  return rest instanceof PromisedObservable
    ? rest.promise
    : lastValueFrom(rest, { defaultValue: undefined });
}

/**
 * The promise of what an interceptor returned, taken straight back where it wrote one
 * (`promised`), without another turn of the event loop.
 */
export function promiseOf(
  returned: Observable<unknown> | Promise<Observable<unknown>>,
): Promise<unknown> {
  return returned instanceof PromisedObservable ? returned.promise : resultOf(returned);
}

/** The promise of whatever an interceptor returned (an observable, or a promise of one). */
export async function resultOf(
  returned: Observable<unknown> | Promise<Observable<unknown>>,
): Promise<unknown> {
  const observable = returned instanceof Observable ? returned : await returned;
  return observable instanceof PromisedObservable
    ? observable.promise
    : lastValueFrom(observable, { defaultValue: undefined });
}
