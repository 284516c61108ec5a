import type { JsonSchema, RouteDefinition, RouteGroup } from './route.types';

/*
 * The gateway's own routes, `gateway/health`, `gateway/services` and `gateway/metrics`:
 * built in, so that a routes file of one's own cannot drop them by leaving them out. A file
 * turns them off with `gateway: false` at its top level (and may then declare its own).
 * Their replies have no envelope: `reply` is the whole reply (docs/mqtt-api.md, "The
 * gateway group").
 */

/** The topic prefix of the built-in routes. */
export const GATEWAY_PREFIX = 'gateway';

/** No credentials needed; credentials that come are verified. */
export const GATEWAY_GROUP: RouteGroup = {
  prefix: GATEWAY_PREFIX,
  steps: ['auth', 'rateLimit'],
  allowAnonymous: true,
};

const count = { type: 'integer', minimum: 0 } as const;
const status = { enum: ['healthy', 'degraded', 'unhealthy'] } as const;

const NO_BODY: JsonSchema = {
  type: 'object',
  description: 'no body; whatever is sent is ignored',
};

const HEALTH_REPLY: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['status', 'timestamp', 'version', 'services', 'redis', 'routes'],
  properties: {
    status,
    timestamp: { type: 'number', description: 'Unix seconds' },
    version: { type: 'string' },
    services: { type: 'object', additionalProperties: status },
    redis: {
      enum: ['healthy', 'unhealthy', 'none'],
      description: 'none: no Redis configured, state is kept in the process',
    },
    routes: {
      type: 'object',
      additionalProperties: false,
      required: ['file', 'digest', 'count'],
      properties: {
        file: { type: 'string' },
        digest: { type: 'string' },
        count,
        last_reload: {
          type: 'object',
          additionalProperties: false,
          required: ['ok', 'at'],
          properties: {
            ok: { type: 'boolean' },
            at: { type: 'number' },
            error: { type: 'string' },
          },
        },
      },
    },
  },
};

const SERVICES_REPLY: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['status', 'services', 'count', 'timestamp'],
  properties: {
    status: { const: 'success' },
    services: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'total_instances', 'healthy_instances', 'status'],
        properties: {
          name: { type: 'string' },
          total_instances: count,
          healthy_instances: count,
          status: { enum: ['healthy', 'unhealthy'] },
        },
      },
    },
    count,
    timestamp: { type: 'number' },
  },
};

const SERVICE_TIMINGS = [
  'avg_response_time',
  'error_rate',
  'p50_response_time',
  'p95_response_time',
  'p99_response_time',
] as const;

const METRICS_REPLY: JsonSchema = {
  type: 'object',
  description: 'times in seconds, rates in percent',
  additionalProperties: false,
  required: ['gateway', 'services', 'timestamp'],
  properties: {
    gateway: {
      type: 'object',
      additionalProperties: false,
      required: [
        'total_requests',
        'successful_requests',
        'failed_requests',
        'success_rate',
        'rate_limit_hits',
      ],
      properties: {
        total_requests: count,
        successful_requests: count,
        failed_requests: count,
        success_rate: { type: 'number' },
        rate_limit_hits: count,
      },
    },
    services: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['total_requests', 'errors', ...SERVICE_TIMINGS],
        properties: {
          total_requests: count,
          errors: count,
          ...Object.fromEntries(SERVICE_TIMINGS.map((name) => [name, { type: 'number' }])),
        },
      },
    },
    timestamp: { type: 'number' },
  },
};

/** The built-in routes, in the order they are listed after a file's own. */
export const GATEWAY_ROUTES: readonly RouteDefinition[] = [
  { topic: 'health', qos: 0, handler: 'health', reply: HEALTH_REPLY },
  { topic: 'services', qos: 1, handler: 'services', reply: SERVICES_REPLY },
  { topic: 'metrics', qos: 1, handler: 'metrics', reply: METRICS_REPLY },
].map((route) => ({ ...route, group: GATEWAY_GROUP, request: NO_BODY }) as RouteDefinition);
