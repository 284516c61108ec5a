import {
  Injectable,
  type CallHandler,
  type CanActivate,
  type NestInterceptor,
  type OnModuleInit,
  type Type,
} from '@nestjs/common';
import { GUARDS_METADATA, INTERCEPTORS_METADATA } from '@nestjs/common/constants';
import { MetadataScanner, ModulesContainer } from '@nestjs/core';
import type { Module } from '@nestjs/core/injector/module';
import { PATTERN_METADATA } from '@nestjs/microservices/constants';
import { isObservable, lastValueFrom } from 'rxjs';
import { GatewayError } from '@mqgw/contracts';
import {
  ROUTE_HANDLERS,
  STEP_NAMES,
  TIMED_STEPS,
  type CompiledRoute,
  type RouteHandler,
  type RouteTable,
  type StepName,
} from '@mqgw/routes';
import type { GatewayRequest } from '../request/gateway-request';
import { RequestTracer } from '../observability/request-tracer';
import { ActiveRoutes } from '../routing/active-routes';
import { PipelineContext } from './pipeline-context';
import { STEP_OF } from './pipeline';
import { promiseOf, promised } from './pipeline-step';
import { TracedGuard, TracedInterceptor } from './traced-step';

type Handler = (body: Record<string, unknown>, req: GatewayRequest) => unknown;

/** A guard or interceptor declared on a handler, and the step it is, if it is one. */
interface Declared<T> {
  instance: T;
  step?: StepName;
}

/** A message handler and what is declared on it, as Nest would run it. */
interface HandlerChain {
  /** `ProxyController.proxy`, for messages. */
  where: string;
  controller: Type<unknown>;
  method: Handler;
  call: Handler;
  guards: readonly Declared<CanActivate>[];
  interceptors: readonly Declared<NestInterceptor>[];
  steps: ReadonlySet<StepName>;
}

/** What runs for one route, built once: its handler's chain without the steps it leaves out. */
interface Plan {
  chain: HandlerChain;
  guards: readonly CanActivate[];
  interceptors: readonly NestInterceptor[];
}

/**
 * Runs each request through what its handler declares, as Nest's own RPC dispatch would
 * (`rpc-context-creator.ts`): the guards and interceptors on the controller and then on the
 * method (`@UsePipeline()`, `@UseGuards`, `@UseInterceptors`), guards first, then the
 * interceptors outermost first, then the handler. A pipeline step runs on the routes that
 * name it (or on all, for `always` steps); any other guard or interceptor on a handler
 * runs on every request to it.
 *
 * Unlike Nest it resolves all of that once, at boot, and fails there, naming the class and
 * the handler, when the declaration cannot be run as written: steps out of pipeline order
 * or twice, an enhancer no module provides, a route handler with no method or two, a route
 * naming a step its handler does not declare, or global enhancers (which Nest would run and
 * this runner would not). Per request it builds one execution context and calls each
 * step's one entry point (`canActivate`, `intercept`), taking promises straight back where
 * a step wrote one (`PromisedObservable`) instead of going through observables.
 * `pipeline.runner.spec.ts` checks both dispatches give the same replies.
 */
@Injectable()
export class PipelineRunner implements OnModuleInit {
  private readonly chains = new Map<RouteHandler, HandlerChain>();
  private readonly plans = new WeakMap<CompiledRoute, Plan>();

  constructor(
    private readonly modules: ModulesContainer,
    private readonly scanner: MetadataScanner,
    private readonly routes: ActiveRoutes,
    private readonly tracer: RequestTracer,
  ) {}

  onModuleInit(): void {
    for (const module of this.modules.values()) {
      this.refuseGlobalEnhancers(module);
      for (const wrapper of module.controllers.values()) {
        if (!wrapper.instance || !wrapper.metatype) continue;
        this.addHandlers(module, wrapper.metatype as Type<unknown>, wrapper.instance);
      }
    }
    for (const handler of ROUTE_HANDLERS) {
      if (!this.chains.has(handler)) {
        throw new Error(`no @MessagePattern(HANDLER.${handler}) method: routes name it`);
      }
    }
    this.validate(this.routes.table);
  }

  /** The handlers served, with the steps each declares: for tests and the route check. */
  get handlers(): ReadonlyMap<RouteHandler, { where: string; steps: ReadonlySet<StepName> }> {
    return this.chains;
  }

  /**
   * Builds the plan of every route of `table`, or throws naming the route, step and handler
   * that do not fit: a table is checked before it is served (at boot and on reload).
   */
  validate(table: RouteTable): void {
    for (const route of table.routes) this.planFor(route);
  }

  run(req: GatewayRequest): Promise<unknown> {
    const plan = this.plans.get(req.route) ?? this.planFor(req.route);
    const context = new PipelineContext(req, plan.chain.controller, plan.chain.method);
    return this.guarded(plan, context, 0);
  }

  /** Guards from `index` on, then the interceptors. Synchronous guards cost no promise. */
  private async guarded(plan: Plan, context: PipelineContext, index: number): Promise<unknown> {
    for (let i = index; i < plan.guards.length; i++) {
      const verdict = plan.guards[i].canActivate(context);
      const allowed =
        typeof verdict === 'boolean'
          ? verdict
          : await (isObservable(verdict) ? lastValueFrom(verdict) : verdict);
      if (!allowed) throw new GatewayError('FORBIDDEN', 'forbidden');
    }
    return this.next(plan, context, 0);
  }

  /** Interceptor `index`, with the rest of the pipeline as its `next`; then the handler. */
  private next(plan: Plan, context: PipelineContext, index: number): Promise<unknown> {
    try {
      if (index === plan.interceptors.length) {
        const req = context.request;
        return Promise.resolve(plan.chain.call(req.body(), req));
      }
      const rest: CallHandler = { handle: () => promised(this.next(plan, context, index + 1)) };
      const returned = plan.interceptors[index].intercept(context, rest);
      return promiseOf(returned);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private planFor(route: CompiledRoute): Plan {
    const chain = this.chains.get(route.handler);
    if (!chain) throw new Error(`route ${route.template}: no handler ${route.handler}`);
    const undeclared = [...route.steps].filter((step) => !chain.steps.has(step));
    if (undeclared.length > 0) {
      throw new Error(
        `route ${route.template} names ${undeclared.join(', ')}, which ${chain.where} does not declare`,
      );
    }
    const runs = <T>(d: Declared<T>) => d.step === undefined || route.steps.has(d.step);
    // The one place steps are traced: with tracing on, every step is wrapped, recorded on
    // every run if timed and otherwise only when it refuses or throws. A guard or
    // interceptor that is not a step is treated as timed: nothing says it is cheap.
    const traced = this.tracer.enabled;
    const nameOf = (d: Declared<object>) => d.step ?? d.instance.constructor.name;
    const timed = (d: Declared<object>) => d.step === undefined || TIMED_STEPS.has(d.step);
    const plan: Plan = {
      chain,
      guards: chain.guards
        .filter(runs)
        .map((d) => (traced ? new TracedGuard(d.instance, nameOf(d), timed(d)) : d.instance)),
      interceptors: chain.interceptors
        .filter(runs)
        .map((d) => (traced ? new TracedInterceptor(d.instance, nameOf(d), timed(d)) : d.instance)),
    };
    this.plans.set(route, plan);
    return plan;
  }

  private addHandlers(module: Module, controller: Type<unknown>, instance: object): void {
    const prototype = Object.getPrototypeOf(instance) as Record<string, Handler>;
    for (const name of this.scanner.getAllMethodNames(prototype)) {
      const method = prototype[name];
      const patterns = Reflect.getMetadata(PATTERN_METADATA, method) as unknown[] | undefined;
      for (const pattern of patterns ?? []) {
        const where = `${controller.name}.${name}`;
        if (!(ROUTE_HANDLERS as readonly unknown[]).includes(pattern)) {
          throw new Error(
            `${where}: @MessagePattern(${JSON.stringify(pattern)}) is not a route handler (HANDLER)`,
          );
        }
        const handler = pattern as RouteHandler;
        const other = this.chains.get(handler);
        if (other) throw new Error(`${where} and ${other.where} both serve ${handler}`);
        this.chains.set(handler, this.chainOf(module, controller, method, instance, where));
      }
    }
  }

  private chainOf(
    module: Module,
    controller: Type<unknown>,
    method: Handler,
    instance: object,
    where: string,
  ): HandlerChain {
    const declared = <T>(key: string, entry: 'canActivate' | 'intercept'): Declared<T>[] =>
      [
        ...((Reflect.getMetadata(key, controller) as unknown[]) ?? []),
        ...((Reflect.getMetadata(key, method) as unknown[]) ?? []),
      ].map((enhancer) => {
        const type = typeof enhancer === 'function' ? enhancer : enhancer?.constructor;
        const resolved =
          typeof enhancer === 'function' ? module.injectables.get(enhancer)?.instance : enhancer;
        if (!resolved || typeof (resolved as Record<string, unknown>)[entry] !== 'function') {
          throw new Error(`${where}: ${(type as Type)?.name ?? enhancer} is not provided`);
        }
        return { instance: resolved as T, step: STEP_OF.get(type) };
      });
    const guards = declared<CanActivate>(GUARDS_METADATA, 'canActivate');
    const interceptors = declared<NestInterceptor>(INTERCEPTORS_METADATA, 'intercept');
    const order = [...guards, ...interceptors].flatMap((d) => (d.step ? [d.step] : []));
    order.forEach((step, i) => {
      if (i > 0 && STEP_NAMES.indexOf(step) <= STEP_NAMES.indexOf(order[i - 1])) {
        throw new Error(
          `${where}: step ${step} is declared after ${order[i - 1]}; the pipeline runs ${STEP_NAMES.join(', ')}`,
        );
      }
    });
    return {
      where,
      controller,
      method,
      call: method.bind(instance),
      guards,
      interceptors,
      steps: new Set(order),
    };
  }

  /** Nest would run `APP_GUARD` and `APP_INTERCEPTOR` providers on every handler; this does not. */
  private refuseGlobalEnhancers(module: Module): void {
    for (const token of module.providers.keys()) {
      if (typeof token === 'string' && /^APP_(GUARD|INTERCEPTOR)/.test(token)) {
        throw new Error(
          `${module.metatype.name}: ${token.split(' ')[0]} is not run by the MQTT pipeline; declare it on the handlers with @UseGuards or @UseInterceptors`,
        );
      }
    }
  }
}
