import { readGatewayConfig } from '../../gateway.config';
import { GatewayRequest } from '../../request/gateway-request';
import {
  MIDDLEWARE,
  RouteMatcher,
  compileRoutes,
  type RouteDefinition,
  type RouteGroup,
} from '@mqgw/routes';
import { PipelineContext } from '../pipeline-context';
import type { PipelineConfig } from '../pipeline.config';

/** Every step on, as `api/v1` has it. */
export const ALL_STEPS: RouteGroup = {
  prefix: 't',
  middleware: [...MIDDLEWARE],
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
    group: { prefix: 'bare', middleware: [] },
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
export function requestFor(topic: string, headers: Record<string, string> = {}): GatewayRequest {
  const match = matcher.match(topic);
  if (!match) throw new Error(`no test route for ${topic}`);
  return new GatewayRequest('req-1', topic, match.route, match.params, headers, performance.now());
}

/** The execution context a guard gets. */
export function contextFor(req: GatewayRequest, body: Record<string, unknown> = {}) {
  return new PipelineContext(req, body, class TestController {}, () => undefined);
}

/** The pipeline's configuration from an environment, with a test JWT secret. */
export function pipelineConfig(env: Record<string, string> = {}): PipelineConfig {
  return readGatewayConfig({ JWT_SECRET: 'pipeline-test-secret-0123456789abcdef', ...env })
    .pipeline;
}
