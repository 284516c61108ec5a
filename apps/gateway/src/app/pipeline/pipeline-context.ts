import type { ExecutionContext, Type } from '@nestjs/common';
import type { RpcArgumentsHost } from '@nestjs/common/interfaces';
import type { GatewayRequest } from '../request/gateway-request';

/**
 * The execution context the pipeline runner hands its steps: what Nest's own would give
 * them for an RPC handler (`switchToRpc().getContext()` is the request, `getData()` its
 * body, decoded on first use), built once per request.
 */
export class PipelineContext implements ExecutionContext {
  private readonly rpc: RpcArgumentsHost;

  constructor(
    readonly request: GatewayRequest,
    private readonly controller: Type<unknown>,
    private readonly handler: (...args: never[]) => unknown,
  ) {
    this.rpc = { getData: () => request.body(), getContext: () => request } as RpcArgumentsHost;
  }

  getType<T extends string = 'rpc'>(): T {
    return 'rpc' as T;
  }
  getClass<T = unknown>(): Type<T> {
    return this.controller as Type<T>;
  }
  getHandler(): (...args: never[]) => unknown {
    return this.handler;
  }
  getArgs<T extends unknown[] = unknown[]>(): T {
    return [this.request.body(), this.request] as unknown as T;
  }
  getArgByIndex<T = unknown>(index: number): T {
    return this.getArgs()[index] as T;
  }
  switchToRpc(): RpcArgumentsHost {
    return this.rpc;
  }
  switchToHttp(): never {
    throw new Error('the gateway pipeline runs over MQTT, not HTTP');
  }
  switchToWs(): never {
    throw new Error('the gateway pipeline runs over MQTT, not WebSocket');
  }
}
