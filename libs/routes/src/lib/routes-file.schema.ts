import { z } from 'zod';
import {
  BALANCER_STRATEGIES,
  REPLY_VALIDATION,
  ROUTE_HANDLERS,
  type RouteHandler,
} from './route.types';
import { STEP_NAMES, type StepName } from './steps';

/*
 * The routes file (ROUTES_FILE), as a zod schema: the one definition the loader validates
 * with and the published JSON Schema (config/routes.schema.json) is generated from.
 */

const serviceName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,62}$/, 'a service name: letters, digits and -');

const positiveInt = z.number().int().positive();

const replyValidation = z
  .enum(REPLY_VALIDATION)
  .optional()
  .describe(
    'what to do with a service reply that breaks its reply schema: off (default), warn (log and count), enforce (also answer UPSTREAM_ERROR)',
  );

const jsonSchema = z
  .union([z.boolean(), z.record(z.string(), z.unknown())])
  .describe(
    'a JSON Schema (2020-12), inline, or {$ref: <file>} naming a JSON or YAML file relative to this one',
  );

const instanceUrl = z
  .string()
  .regex(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, 'an http:// or https:// base URL');

const service = z
  .object({
    instances: z
      .array(instanceUrl)
      .optional()
      .describe('static instances; without them the Redis registry finds the service'),
    balancer: z.enum(BALANCER_STRATEGIES).optional().describe('overrides BALANCER_STRATEGY'),
    breaker: z
      .object({
        failureThreshold: positiveInt.optional(),
        recoverySeconds: positiveInt.optional(),
        halfOpenProbes: positiveInt.optional(),
      })
      .strict()
      .optional()
      .describe(
        'overrides BREAKER_FAILURE_THRESHOLD, BREAKER_RECOVERY_SECONDS, BREAKER_HALF_OPEN_PROBES',
      ),
    concurrency: z
      .union([
        positiveInt,
        z
          .object({
            initial: positiveInt.optional(),
            min: positiveInt.optional(),
            max: positiveInt.optional(),
          })
          .strict(),
      ])
      .optional()
      .describe(
        'calls in flight to the service at once, per gateway process: a number, or adaptive within {min, max} from initial (default adaptive, 10 to 1000 from 100)',
      ),
    replyValidation,
  })
  .strict();

const steps = z.array(z.enum(STEP_NAMES as [StepName, ...StepName[]]));
/** The old name of `steps`, read for one more release with a warning. */
const middleware = steps.describe('deprecated: the old name of steps');

/** Options a route takes, and a group gives its routes as defaults. */
const routeOptions = {
  scopes: z
    .array(z.string().regex(/^[\x21-\x7e]{1,128}$/, 'printable ASCII, no spaces'))
    .optional(),
  timeoutMs: positiveInt.optional().describe('overrides UPSTREAM_TIMEOUT_MS'),
  retries: z
    .union([z.literal(0), z.literal(1)])
    .optional()
    .describe('retries of a failed call on another instance: 0 or 1 (default)'),
  cacheTtlSeconds: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('overrides FALLBACK_CACHE_TTL_SECONDS for reads; 0 turns the stale cache off'),
  rateLimit: z
    .object({ max: positiveInt, windowSeconds: positiveInt })
    .strict()
    .optional()
    .describe("a bucket of the route's own instead of the caller's shared one"),
  replyValidation,
};

const route = z
  .object({
    topic: z.string().min(1).describe('under the group prefix; {name} is a parameter level'),
    qos: z.union([z.literal(0), z.literal(1), z.literal(2)]),
    handler: z
      .enum(ROUTE_HANDLERS as [RouteHandler, ...RouteHandler[]])
      .optional()
      .describe('proxy (default) calls the service; the others are the gateway’s own'),
    service: serviceName.optional(),
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).optional(),
    path: z.string().optional().describe('upstream path; {name} takes the parameter'),
    steps: steps.optional().describe('pipeline steps added to the group’s'),
    middleware: middleware.optional(),
    fallback: serviceName.optional().describe('the fallback service; default <service>-fallback'),
    body: z
      .object({
        rename: z.record(z.string(), z.string()).optional(),
        remove: z.array(z.string()).optional(),
        set: z.record(z.string(), z.unknown()).optional(),
      })
      .strict()
      .optional()
      .describe('rename, then remove, then set fields; "{name}" in a set value is a parameter'),
    request: jsonSchema
      .optional()
      .describe(
        'the JSON Schema (2020-12) of the request body, before any body rewrite: a body that breaks it is BAD_REQUEST, and the service never sees it. Inline, or {$ref: <file>}',
      ),
    reply: jsonSchema
      .optional()
      .describe(
        "the JSON Schema (2020-12) of a success reply's data (of the whole reply, on the gateway's own routes). Inline, or {$ref: <file>}",
      ),
    ...routeOptions,
  })
  .strict();

const group = z
  .object({
    prefix: z.string().min(1).describe('topic prefix, e.g. api/v1'),
    steps: steps
      .optional()
      .describe(
        'the pipeline steps of every route of the group, run in pipeline order: ' +
          STEP_NAMES.join(', '),
      ),
    middleware: middleware.optional(),
    allowAnonymous: z
      .boolean()
      .optional()
      .describe('with auth: requests without credentials pass as anonymous'),
    routes: z.array(route).min(1),
    ...routeOptions,
  })
  .strict();

export const routesFileSchema = z
  .object({
    $schema: z.string().optional(),
    services: z
      .record(serviceName, z.union([service, z.null()]))
      .optional()
      .describe('every service a route names'),
    gateway: z
      .boolean()
      .optional()
      .describe(
        'the built-in gateway/health, gateway/services and gateway/metrics routes: served unless false; while they are on, a group under gateway/ is ignored with a warning',
      ),
    groups: z.array(group).min(1),
  })
  .strict();

export type RoutesFile = z.infer<typeof routesFileSchema>;
export type RoutesFileGroup = z.infer<typeof group>;
export type RoutesFileRoute = z.infer<typeof route>;

/** The JSON Schema of the routes file, for editors (config/routes.schema.json). */
export function routesJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(routesFileSchema, { io: 'input', unrepresentable: 'any' }),
    title: 'mqgw routes file',
    description: 'Routes and services of the mqgw gateway (ROUTES_FILE).',
  };
}
