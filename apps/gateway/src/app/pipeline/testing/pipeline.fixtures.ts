import type { NestInterceptor } from '@nestjs/common';
import { readGatewayConfig } from '../../gateway.config';
import { GatewayRequest, type RequestOrigin } from '../../request/gateway-request';
import {
  RouteMatcher,
  STEP_NAMES,
  compileRoutes,
  type RouteDefinition,
  type RouteGroup,
} from '@mqgw/routes';
import { PipelineContext } from '../pipeline-context';
import type { PipelineConfig } from '../pipeline.config';
import { promised, resultOf } from '../pipeline-step';

/** Every step on, as `api/v1` has it. */
export const ALL_STEPS: RouteGroup = {
  prefix: 't',
  steps: [...STEP_NAMES],
};

/** A small table for step tests: a read, a write, a scoped route, and one with no steps. */
export const TEST_ROUTES: RouteDefinition[] = [
  {
    group: ALL_STEPS,
    topic: 'read/{id}',
    qos: 1,
    handler: 'proxy',
    service: 'svc',
    method: 'GET',
    upstreamPath: '/r/{id}',
  },
  {
    group: ALL_STEPS,
    topic: 'write',
    qos: 1,
    handler: 'proxy',
    service: 'svc',
    method: 'POST',
    upstreamPath: '/w',
  },
  {
    group: ALL_STEPS,
    topic: 'admin',
    qos: 1,
    handler: 'proxy',
    service: 'svc',
    method: 'POST',
    upstreamPath: '/a',
    scopes: ['admin'],
  },
  {
    group: { prefix: 'bare', steps: [] },
    topic: 'x',
    qos: 1,
    handler: 'proxy',
    service: 'svc',
    method: 'POST',
    upstreamPath: '/x',
  },
];

const matcher = new RouteMatcher(compileRoutes(TEST_ROUTES));

/** A request on `topic` as the transport would build it. */
export function requestFor(
  topic: string,
  headers: Record<string, string> = {},
  origin: Partial<RequestOrigin> = {},
): GatewayRequest {
  const match = matcher.match(topic);
  if (!match) throw new Error(`no test route for ${topic}`);
  return new GatewayRequest('req-1', topic, match.route, match.params, headers, performance.now(), {
    body: { value: {} },
    ...origin,
  });
}

/** The execution context a step gets. */
export function contextFor(req: GatewayRequest) {
  return new PipelineContext(req, class TestController {}, () => undefined);
}

/** Runs one interceptor around `rest` (the remaining pipeline), as the runner does. */
export function through(
  step: NestInterceptor,
  req: GatewayRequest,
  rest: () => Promise<unknown>,
): Promise<unknown> {
  try {
    return resultOf(step.intercept(contextFor(req), { handle: () => promised(rest()) }));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** The pipeline's configuration from an environment, with a test JWT secret. */
export function pipelineConfig(env: Record<string, string> = {}): PipelineConfig {
  return readGatewayConfig({ JWT_SECRET: 'pipeline-test-secret-0123456789abcdef', ...env })
    .pipeline;
}
