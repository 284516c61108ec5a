import type { GatewayRequest } from '../transport/gateway-request';

/** What runs below a step: the remaining steps, then the route's handler. */
export type Next = () => Promise<unknown>;

/**
 * One of the gateway's interceptors. `InterceptorChain` (the Nest interceptor) runs them in
 * order; each wraps `next` the way a Nest interceptor wraps `CallHandler.handle()`, with a
 * promise in place of an observable.
 */
export interface InterceptorStep {
  intercept(req: GatewayRequest, body: Record<string, unknown>, next: Next): Promise<unknown>;
}
