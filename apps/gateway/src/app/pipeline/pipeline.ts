import {
  UseFilters,
  UseGuards,
  UseInterceptors,
  applyDecorators,
  type CanActivate,
  type NestInterceptor,
  type Type,
} from '@nestjs/common';
import { STEP_NAMES, type StepName } from '@mqgw/routes';
import { AdmissionGuard } from './guards/admission.guard';
import { AuthGuard } from './guards/auth.guard';
import { OriginGuard } from './guards/origin.guard';
import { RateLimitGuard } from './guards/rate-limit.guard';
import { ValidationGuard } from './guards/validation.guard';
import { BreakerInterceptor } from './interceptors/breaker.interceptor';
import { ConcurrencyInterceptor } from './interceptors/concurrency.interceptor';
import { FallbackInterceptor } from './interceptors/fallback.interceptor';
import { ForwardHeadersInterceptor } from './interceptors/forward-headers.interceptor';
import { IdempotencyInterceptor } from './interceptors/idempotency.interceptor';
import { RpcErrorFilter } from './rpc-error.filter';

export type StepClass = Type<CanActivate> | Type<NestInterceptor>;

/**
 * The Nest guard or interceptor that is each step of the pipeline, by the name the routes
 * file uses, in alphabetical order: the pipeline's order is `STEPS`' (libs/routes), the one
 * place it is written. A new step is one entry there (with why it sits where it does) and
 * one line here.
 */
export const STEP_CLASSES = {
  admission: AdmissionGuard,
  auth: AuthGuard,
  breaker: BreakerInterceptor,
  concurrency: ConcurrencyInterceptor,
  fallback: FallbackInterceptor,
  forwardHeaders: ForwardHeadersInterceptor,
  idempotency: IdempotencyInterceptor,
  origin: OriginGuard,
  rateLimit: RateLimitGuard,
  validate: ValidationGuard,
} as const satisfies Record<StepName, StepClass>;

/** The steps in pipeline order. */
export const PIPELINE: readonly StepClass[] = STEP_NAMES.map((name) => STEP_CLASSES[name]);

/** Which step a class is, if any. */
export const STEP_OF: ReadonlyMap<unknown, StepName> = new Map(
  STEP_NAMES.map((name) => [STEP_CLASSES[name], name] as const),
);

export function isGuard(step: StepClass): step is Type<CanActivate> {
  return typeof (step.prototype as Partial<CanActivate>).canActivate === 'function';
}

/**
 * Puts a controller's message handlers behind the pipeline: its guards and interceptors,
 * in pipeline order, and the error filter. What this declares is what runs, in production
 * (`PipelineRunner` reads it from the handler, as Nest's own dispatch does) and under
 * Nest's dispatch alike.
 */
export function UsePipeline(): ClassDecorator & MethodDecorator {
  return applyDecorators(
    UseGuards(...(PIPELINE.filter(isGuard) as Type<CanActivate>[])),
    UseInterceptors(...(PIPELINE.filter((s) => !isGuard(s)) as Type<NestInterceptor>[])),
    UseFilters(RpcErrorFilter),
  );
}
