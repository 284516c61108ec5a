import { GatewayError } from '@mqgw/contracts';
import { Injectable, type OnModuleInit, type Type } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { PATTERN_METADATA } from '@nestjs/microservices/constants';
import type { GatewayRequest } from '../request/gateway-request';
import type { CompiledRoute } from '@mqgw/routes';
import { PipelineContext } from './pipeline-context';
import type { PipelineGuard, PipelineInterceptor } from './pipeline-step';
import { PIPELINE_GUARDS, PIPELINE_INTERCEPTORS } from './use-pipeline.decorator';

type Handler = (body: Record<string, unknown>, req: GatewayRequest) => Promise<unknown> | unknown;

interface HandlerRef {
  controller: Type<unknown>;
  method: Handler;
  call: Handler;
}

/** What runs for one route, compiled once: its guards, its interceptors, its handler. */
interface Plan {
  guards: readonly PipelineGuard[];
  interceptors: readonly PipelineInterceptor[];
  handler: HandlerRef;
}

/**
 * Runs a request through the pipeline `UsePipeline` declares, as Nest would run it for the
 * handler of the route's message pattern: guards in order, then interceptors outermost
 * first, then the handler. Unlike Nest it compiles each route's steps once (only those the
 * route names), builds one execution context per request, and calls each interceptor's
 * `around` instead of wrapping it in observables: the same work, without the per-call cost
 * of Nest's RPC machinery (docs/benchmarks.md). `pipeline.runner.spec.ts` shows both give
 * the same replies.
 */
@Injectable()
export class PipelineRunner implements OnModuleInit {
  private guards: readonly PipelineGuard[] = [];
  private interceptors: readonly PipelineInterceptor[] = [];
  private readonly handlers = new Map<string, HandlerRef>();
  private readonly plans = new WeakMap<CompiledRoute, Plan>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  /**
   * Takes the steps, in the order `UsePipeline` declares them, from the pipeline module's
   * providers, and finds every message handler (`@MessagePattern`) of the app's controllers.
   */
  onModuleInit(): void {
    const instances = new Map<unknown, unknown>(
      this.discovery.getProviders().map((wrapper) => [wrapper.metatype, wrapper.instance]),
    );
    const resolve = <T>(type: Type<T>): T => {
      const instance = instances.get(type);
      if (!instance) throw new Error(`${type.name} is not provided by the pipeline module`);
      return instance as T;
    };
    this.guards = PIPELINE_GUARDS.map((type) => resolve<PipelineGuard>(type));
    this.interceptors = PIPELINE_INTERCEPTORS.map((type) => resolve<PipelineInterceptor>(type));
    for (const wrapper of this.discovery.getControllers()) {
      const instance = wrapper.instance as Record<string, Handler> | undefined;
      if (!instance || !wrapper.metatype) continue;
      const prototype = Object.getPrototypeOf(instance);
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const method = prototype[name] as Handler;
        const patterns = Reflect.getMetadata(PATTERN_METADATA, method) as unknown[] | undefined;
        for (const pattern of patterns ?? []) {
          if (typeof pattern !== 'string') continue;
          this.handlers.set(pattern, {
            controller: wrapper.metatype as Type<unknown>,
            method,
            call: method.bind(instance),
          });
        }
      }
    }
  }

  /** The message patterns served, for the route table's check at boot. */
  get patterns(): ReadonlySet<string> {
    return new Set(this.handlers.keys());
  }

  async run(req: GatewayRequest, body: Record<string, unknown>): Promise<unknown> {
    const plan = this.plan(req.route);
    const context = new PipelineContext(req, body, plan.handler.controller, plan.handler.method);
    for (const guard of plan.guards) {
      const verdict = guard.canActivate(context);
      if (!(typeof verdict === 'boolean' ? verdict : await verdict)) {
        throw new GatewayError('FORBIDDEN', 'forbidden');
      }
    }
    const { interceptors, handler } = plan;
    const next = (index: number): Promise<unknown> =>
      index === interceptors.length
        ? Promise.resolve(handler.call(body, req))
        : interceptors[index].around(req, body, () => next(index + 1));
    return next(0);
  }

  private plan(route: CompiledRoute): Plan {
    let plan = this.plans.get(route);
    if (!plan) {
      const handler = this.handlers.get(route.handler);
      if (!handler) throw new Error(`no handler for pattern ${route.handler}`);
      plan = {
        guards: this.guards.filter((g) => route.middleware.has(g.step)),
        interceptors: this.interceptors.filter((i) => route.middleware.has(i.step)),
        handler,
      };
      this.plans.set(route, plan);
    }
    return plan;
  }
}
