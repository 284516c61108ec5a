import { topicMatchesFilter } from '@mqgw/contracts';
import { compileBodyRewrite, rewriteParams } from './body-rewrite';
import {
  HANDLER,
  SAFE_METHODS,
  type CompiledRoute,
  type JsonSchema,
  type RouteContract,
  type RouteDefinition,
  type RouteLevel,
} from './route.types';
import { SchemaCompiler, type Validator } from './schema-compiler';
import { ALWAYS_STEPS, STEP_NAMES, UPSTREAM_STEPS, isStepName, type StepName } from './steps';

const PARAM = /^\{([a-z_][a-z0-9_]*)\}$/i;
const LITERAL = /^[a-z0-9][a-z0-9_-]*$/i;

export class RouteTableError extends Error {
  constructor(
    readonly template: string,
    readonly problem: string,
    /** Index of the offending definition in the table. */
    readonly index?: number,
    /** The definition's field at fault, when it is one (`request`, `reply`). */
    readonly field?: string,
  ) {
    super(`route ${template}: ${problem}`);
    this.name = 'RouteTableError';
  }
}

/** Validates the table and compiles each route; any mistake stops the gateway at boot. */
export function compileRoutes(definitions: readonly RouteDefinition[]): CompiledRoute[] {
  // One validator instance per table: its compiled schemas go when the table goes.
  const schemas = definitions.some((d) => d.request !== undefined || d.reply !== undefined)
    ? new SchemaCompiler()
    : undefined;
  const routes = definitions.map((def, index) => {
    try {
      return compileRoute(def, schemas);
    } catch (error) {
      if (error instanceof RouteTableError && error.index === undefined) {
        throw new RouteTableError(error.template, error.problem, index, error.field);
      }
      throw error;
    }
  });
  for (let i = 0; i < routes.length; i++) {
    for (let j = 0; j < i; j++) {
      const example = overlap(routes[j], routes[i]);
      if (example === undefined) continue;
      const problem =
        routes[j].filter === routes[i].filter
          ? `has the same topic filter as ${routes[j].template}`
          : `overlaps ${routes[j].template}: both match ${example}`;
      throw new RouteTableError(routes[i].template, problem, i);
    }
  }
  // A Nest-style reply goes to `<topic>/reply`; it must never arrive back as a request.
  for (const route of routes) {
    const sample = route.levels.map((l) => ('literal' in l ? l.literal : 'x')).join('/');
    const loop = routes.find((r) => topicMatchesFilter(r.filter, `${sample}/reply`));
    if (loop) {
      throw new RouteTableError(
        route.template,
        `its /reply topic matches ${loop.template}`,
        routes.indexOf(route),
      );
    }
  }
  return routes;
}

/** A topic both routes match, or undefined when none exists. */
function overlap(a: CompiledRoute, b: CompiledRoute): string | undefined {
  if (a.levels.length !== b.levels.length) return undefined;
  const sample: string[] = [];
  for (let i = 0; i < a.levels.length; i++) {
    const x = a.levels[i];
    const y = b.levels[i];
    if ('literal' in x && 'literal' in y) {
      if (x.literal !== y.literal) return undefined;
      sample.push(x.literal);
    } else {
      sample.push('literal' in x ? x.literal : 'literal' in y ? y.literal : 'x');
    }
  }
  return sample.join('/');
}

function compileRoute(def: RouteDefinition, schemas?: SchemaCompiler): CompiledRoute {
  const template = `${def.group.prefix}/${def.topic}`;
  const fail = (problem: string): never => {
    throw new RouteTableError(template, problem);
  };
  if (/[#+$]/.test(template) || template.startsWith('/') || template.endsWith('/')) {
    fail('a topic may not contain #, + or $, nor start or end with /');
  }
  const levels: RouteLevel[] = template.split('/').map((level) => {
    const param = PARAM.exec(level);
    if (param) return { param: param[1] };
    if (!LITERAL.test(level)) fail(`level "${level}" is neither a literal nor a {param}`);
    return { literal: level };
  });
  if ('param' in levels[0]) fail('the first level (the group prefix) must be a literal');
  const params = levels.flatMap((l) => ('param' in l ? [l.param] : []));
  if (new Set(params).size !== params.length) fail('repeats a parameter name');
  if (![0, 1, 2].includes(def.qos)) fail(`qos ${def.qos} is not 0, 1 or 2`);
  const named = new Set<string>([...def.group.steps, ...(def.steps ?? [])]);
  for (const name of named) if (!isStepName(name)) fail(`unknown step ${name}`);
  const method = def.method ?? 'POST';
  const proxy = def.handler === HANDLER.proxy;
  // In pipeline order, `always` steps included; idempotency keys apply only to methods that
  // change something, and the upstream steps only where there is an upstream.
  const steps = STEP_NAMES.filter(
    (name: StepName) =>
      (named.has(name) || ALWAYS_STEPS.has(name)) &&
      !(name === 'idempotency' && SAFE_METHODS.has(method)) &&
      !(UPSTREAM_STEPS.has(name) && !proxy),
  );

  if (proxy) {
    if (!def.service) fail('a proxy route needs a service');
    if (!def.method) fail('a proxy route needs a method');
    if (!def.upstreamPath?.startsWith('/'))
      fail('a proxy route needs an upstream path starting with /');
    const used = [...(def.upstreamPath ?? '').matchAll(/\{([^}]*)\}/g)].map((m) => m[1]);
    for (const name of used)
      if (!params.includes(name)) fail(`upstream path uses unknown {${name}}`);
  } else if (def.service || def.upstreamPath) {
    fail(`a ${def.handler} route has no upstream`);
  }
  if (def.timeoutMs !== undefined && !(def.timeoutMs > 0)) fail('timeoutMs must be positive');
  if (def.retries !== undefined && def.retries !== 0 && def.retries !== 1) {
    fail('retries must be 0 or 1');
  }
  if (def.cacheTtlSeconds !== undefined && !(def.cacheTtlSeconds >= 0)) {
    fail('cacheTtlSeconds must be 0 or more');
  }
  if (def.body) {
    if (!proxy) fail(`a ${def.handler} route has no body to rewrite`);
    for (const name of rewriteParams(def.body))
      if (!params.includes(name)) fail(`body.set uses unknown {${name}}`);
  }
  if (def.fallbackService && !proxy) fail(`a ${def.handler} route has no fallback`);
  if (
    def.rateLimit &&
    !(
      Number.isInteger(def.rateLimit.max) &&
      def.rateLimit.max > 0 &&
      def.rateLimit.windowSeconds > 0
    )
  ) {
    fail('rateLimit needs a positive integer max and a positive window');
  }

  return {
    template,
    filter: levels.map((l) => ('literal' in l ? l.literal : '+')).join('/'),
    levels,
    params,
    qos: def.qos,
    handler: def.handler,
    namespace: template.slice(0, template.indexOf('/')),
    steps: new Set(steps),
    allowAnonymous: def.group.allowAnonymous ?? false,
    service: def.service,
    method,
    upstreamPath: def.upstreamPath,
    timeoutMs: def.timeoutMs,
    scopes: def.scopes ?? [],
    rateLimit: def.rateLimit,
    retries: def.retries ?? 1,
    cacheTtlSeconds: def.cacheTtlSeconds,
    fallbackService: proxy ? (def.fallbackService ?? `${def.service}-fallback`) : undefined,
    transformBody: def.body ? compileBodyRewrite(def.body) : undefined,
    body: def.body,
    contract: schemas ? compileContract(template, def, schemas) : undefined,
  };
}

const VALID: Validator = () => [];

/** The route's schemas compiled; a schema that does not compile names its field. */
function compileContract(
  template: string,
  def: RouteDefinition,
  schemas: SchemaCompiler,
): RouteContract | undefined {
  if (def.request === undefined && def.reply === undefined) return undefined;
  const compile = (field: 'request' | 'reply', schema: JsonSchema | undefined): Validator => {
    if (schema === undefined) return VALID;
    try {
      return schemas.compile(schema);
    } catch (error) {
      throw new RouteTableError(
        template,
        `${field} schema does not compile: ${(error as Error).message}`,
        undefined,
        field,
      );
    }
  };
  return {
    request: def.request,
    reply: def.reply,
    replyValidation: def.reply === undefined ? 'off' : (def.replyValidation ?? 'off'),
    validateRequest: compile('request', def.request),
    validateReply: compile('reply', def.reply),
  };
}

/** A route as data: what `GET /routes` answers and the tables print. */
export interface RouteRow {
  topic: string;
  qos: number;
  handler: string;
  service: string | null;
  method: string | null;
  path: string | null;
  steps: string[];
  scopes: string[];
}

export function routeRows(routes: readonly CompiledRoute[]): RouteRow[] {
  return routes.map((r) => ({
    topic: r.template,
    qos: r.qos,
    handler: r.handler,
    service: r.service ?? null,
    method: r.service ? r.method : null,
    path: r.upstreamPath ?? null,
    steps: [...r.steps],
    scopes: [...r.scopes],
  }));
}

/** A readable table of routes, for the startup log and the CLI. */
export function formatRouteRows(routes: readonly RouteRow[]): string {
  const rows = routes.map((r) => [
    r.topic,
    String(r.qos),
    r.service ? `${r.service} ${r.method} ${r.path}` : `(${r.handler})`,
    r.steps.join(','),
    r.scopes.join(',') || '-',
  ]);
  const header = ['topic', 'qos', 'upstream', 'steps', 'scopes'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** A readable table for the startup log. */
export function formatRouteTable(routes: readonly CompiledRoute[]): string {
  return formatRouteRows(routeRows(routes));
}
