import type { StepName } from './steps';

/**
 * What serves a route: `proxy` calls the route's service; the others are the gateway's own
 * answers. Each value is the Nest message pattern of its handler
 * (`@MessagePattern(HANDLER.proxy)`), so "find references" leads from a route to the code
 * that serves it.
 */
export const HANDLER = {
  proxy: 'proxy',
  health: 'health',
  services: 'services',
  metrics: 'metrics',
} as const;
export type RouteHandler = (typeof HANDLER)[keyof typeof HANDLER];
export const ROUTE_HANDLERS = Object.values(HANDLER) as readonly RouteHandler[];

/** Methods that change nothing: idempotency keys do not apply to them. */
export const SAFE_METHODS: ReadonlySet<HttpMethod> = new Set(['GET']);

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export type QoS = 0 | 1 | 2;

/** A JSON Schema (2020-12): an object, or `true`/`false`. */
export type JsonSchema = boolean | Readonly<Record<string, unknown>>;

/**
 * What the gateway does with a success reply that breaks the route's `reply` schema: nothing
 * (`off`), log and count it (`warn`), or also refuse it with `UPSTREAM_ERROR` (`enforce`).
 */
export const REPLY_VALIDATION = ['off', 'warn', 'enforce'] as const;
export type ReplyValidation = (typeof REPLY_VALIDATION)[number];

/** One way a value breaks its schema: where (a JSON pointer into it) and how. */
export interface Violation {
  pointer: string;
  message: string;
}

/**
 * A route's contract, compiled once per table: its schemas as written, and validators that
 * answer with the violations (none when the value is valid, at most `MAX_VIOLATIONS`).
 */
export interface RouteContract {
  request?: JsonSchema;
  reply?: JsonSchema;
  replyValidation: ReplyValidation;
  validateRequest(body: unknown): readonly Violation[];
  validateReply(data: unknown): readonly Violation[];
}

/** A body rewrite applied before the upstream call (API v2's payload shape, for instance). */
export type BodyTransform = (
  body: Record<string, unknown>,
  params: Record<string, string>,
) => Record<string, unknown>;

/**
 * A declarative body rewrite, applied in this order: `rename` (a field moves to a new name
 * unless that name is already set), `remove`, then `set` (a string value may name path
 * parameters, `"{action}"`).
 */
export interface BodyRewrite {
  rename?: Readonly<Record<string, string>>;
  remove?: readonly string[];
  set?: Readonly<Record<string, unknown>>;
}

export const BALANCER_STRATEGIES = ['round-robin', 'least-outstanding', 'weighted'] as const;
export type BalancerStrategy = (typeof BALANCER_STRATEGIES)[number];

/** A service the table names, and how to reach and guard it. */
export interface ServiceSettings {
  name: string;
  /** Static instances (base URLs); none means the Redis registry alone. */
  instances: readonly string[];
  /** Overrides BALANCER_STRATEGY for this service. */
  balancer?: BalancerStrategy;
  /** Overrides the BREAKER_* settings for this service. */
  breaker?: {
    failureThreshold?: number;
    recoverySeconds?: number;
    halfOpenProbes?: number;
  };
  /**
   * Calls in flight to this service at once, from one gateway process: a fixed number, or
   * adaptive within bounds (the default, `DEFAULT_CONCURRENCY`).
   */
  concurrency?: ServiceConcurrency;
  /** The reply validation of the service's routes that set none. */
  replyValidation?: ReplyValidation;
}

export type ServiceConcurrency = number | { initial?: number; min?: number; max?: number };

/** A service's concurrency limit when the routes file sets none: adaptive, within these. */
export const DEFAULT_CONCURRENCY = { initial: 100, min: 10, max: 1000 } as const;

export interface RouteGroup {
  /** Topic prefix, e.g. `api/v1`. */
  prefix: string;
  /** The pipeline steps of every route of the group (see `STEPS`). */
  steps: readonly StepName[];
  /**
   * With `auth`: a request without credentials passes as anonymous (one shared rate-limit
   * bucket); credentials that come are verified, and give the caller a bucket of its own.
   */
  allowAnonymous?: boolean;
}

/** One line of the route table. */
export interface RouteDefinition {
  group: RouteGroup;
  /** Topic under the group prefix; `{name}` is one topic level captured as a parameter. */
  topic: string;
  qos: QoS;
  handler: RouteHandler;
  /** Steps added to the group's for this route. */
  steps?: readonly StepName[];
  service?: string;
  method?: HttpMethod;
  /** Upstream path; `{name}` takes the percent-encoded parameter. */
  upstreamPath?: string;
  /** Overrides UPSTREAM_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Scopes the caller must hold, all of them. */
  scopes?: readonly string[];
  /** Overrides the group's limit with a bucket of this route's own. */
  rateLimit?: RouteRateLimit;
  /** Retries of a failed call on another instance, as `classifyFailure` allows: 0 or 1. */
  retries?: 0 | 1;
  /** Overrides FALLBACK_CACHE_TTL_SECONDS for this read; 0 turns its stale cache off. */
  cacheTtlSeconds?: number;
  /** The service the `fallback` step tries; default `<service>-fallback`. */
  fallbackService?: string;
  body?: BodyRewrite;
  /** The request body's JSON Schema: a body that breaks it is refused (`validate`). */
  request?: JsonSchema;
  /** The JSON Schema of a success reply's `data`. */
  reply?: JsonSchema;
  /** What to do with a reply that breaks `reply`; default `off`. */
  replyValidation?: ReplyValidation;
}

export interface RouteRateLimit {
  max: number;
  windowSeconds: number;
}

/** A route compiled for matching and serving. */
export interface CompiledRoute {
  /** The full topic template, e.g. `api/v1/users/get/{user_id}`. */
  template: string;
  /** The MQTT filter subscribed to, e.g. `api/v1/users/get/+`. */
  filter: string;
  levels: readonly RouteLevel[];
  params: readonly string[];
  qos: QoS;
  handler: RouteHandler;
  /** The first topic level: the route's namespace (`api`, `gateway`). */
  namespace: string;
  /** The steps that run on this route, in pipeline order, `always` steps included. */
  steps: ReadonlySet<StepName>;
  allowAnonymous: boolean;
  service?: string;
  method: HttpMethod;
  upstreamPath?: string;
  timeoutMs?: number;
  scopes: readonly string[];
  rateLimit?: RouteRateLimit;
  retries: 0 | 1;
  cacheTtlSeconds?: number;
  fallbackService?: string;
  /** The declarative rewrite, compiled; absent when there is none. */
  transformBody?: BodyTransform;
  body?: BodyRewrite;
  /** The request and reply schemas and their validators; absent when the route has neither. */
  contract?: RouteContract;
}

export type RouteLevel = { literal: string } | { param: string };
