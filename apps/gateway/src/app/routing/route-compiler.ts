import { topicMatchesFilter } from '@mqgw/contracts';
import {
  MIDDLEWARE,
  SAFE_METHODS,
  type CompiledRoute,
  type MiddlewareName,
  type RouteDefinition,
  type RouteLevel,
} from './route.types';

const PARAM = /^\{([a-z_][a-z0-9_]*)\}$/i;
const LITERAL = /^[a-z0-9][a-z0-9_-]*$/i;
/** Steps that wrap an upstream call, and have nothing to do on the gateway's own routes. */
const PROXY_ONLY: ReadonlySet<MiddlewareName> = new Set([
  'forwardHeaders',
  'idempotency',
  'fallback',
  'breaker',
]);

export class RouteTableError extends Error {
  constructor(template: string, problem: string) {
    super(`route ${template}: ${problem}`);
    this.name = 'RouteTableError';
  }
}

/** Validates the table and compiles each route; any mistake stops the gateway at boot. */
export function compileRoutes(definitions: readonly RouteDefinition[]): CompiledRoute[] {
  const routes = definitions.map(compileRoute);
  const seen = new Map<string, string>();
  for (const route of routes) {
    const clash = seen.get(route.filter);
    if (clash) throw new RouteTableError(route.template, `has the same topic filter as ${clash}`);
    seen.set(route.filter, route.template);
  }
  // A Nest-style reply goes to `<topic>/reply`; it must never arrive back as a request.
  for (const route of routes) {
    const sample = route.levels.map((l) => ('literal' in l ? l.literal : 'x')).join('/');
    const loop = routes.find((r) => topicMatchesFilter(r.filter, `${sample}/reply`));
    if (loop)
      throw new RouteTableError(route.template, `its /reply topic matches ${loop.template}`);
  }
  return routes;
}

function compileRoute(def: RouteDefinition): CompiledRoute {
  const template = `${def.group.prefix}/${def.topic}`;
  const fail = (problem: string): never => {
    throw new RouteTableError(template, problem);
  };
  const levels: RouteLevel[] = template.split('/').map((level) => {
    const param = PARAM.exec(level);
    if (param) return { param: param[1] };
    if (!LITERAL.test(level)) fail(`level "${level}" is neither a literal nor a {param}`);
    return { literal: level };
  });
  const params = levels.flatMap((l) => ('param' in l ? [l.param] : []));
  if (new Set(params).size !== params.length) fail('repeats a parameter name');
  if (![0, 1, 2].includes(def.qos)) fail(`qos ${def.qos} is not 0, 1 or 2`);
  const named = new Set<MiddlewareName>([...def.group.middleware, ...(def.middleware ?? [])]);
  for (const name of named) if (!MIDDLEWARE.includes(name)) fail(`unknown middleware ${name}`);
  const method = def.method ?? 'POST';
  // In pipeline order; idempotency keys apply only to methods that change something, and the
  // proxy-only steps only where there is an upstream.
  const middleware = MIDDLEWARE.filter(
    (name) =>
      named.has(name) &&
      !(name === 'idempotency' && SAFE_METHODS.has(method)) &&
      !(PROXY_ONLY.has(name) && def.handler !== 'proxy'),
  );

  if (def.handler === 'proxy') {
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
    middleware: new Set(middleware),
    allowAnonymous: def.group.allowAnonymous ?? false,
    service: def.service,
    method,
    upstreamPath: def.upstreamPath,
    timeoutMs: def.timeoutMs,
    scopes: def.scopes ?? [],
    rateLimit: def.rateLimit,
    transformBody: def.transformBody,
  };
}

/** A readable table for the startup log. */
export function formatRouteTable(routes: readonly CompiledRoute[]): string {
  const rows = routes.map((r) => [
    r.template,
    String(r.qos),
    r.service ? `${r.service} ${r.method} ${r.upstreamPath}` : `(${r.handler})`,
    [...r.middleware].join(','),
    r.scopes.join(',') || '-',
  ]);
  const header = ['topic', 'qos', 'upstream', 'middleware', 'scopes'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
