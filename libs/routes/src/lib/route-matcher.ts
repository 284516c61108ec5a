import { GatewayError } from '@mqgw/contracts';
import type { CompiledRoute } from './route.types';

export interface RouteMatch {
  route: CompiledRoute;
  params: Record<string, string>;
}

const MAX_PARAM_LENGTH = 256;
// C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * Finds the route for a topic, indexed on the level count and the first level, so only
 * a handful of routes are compared per message.
 */
export class RouteMatcher {
  private readonly index = new Map<string, CompiledRoute[]>();

  constructor(readonly routes: readonly CompiledRoute[]) {
    for (const route of routes) {
      const first = route.levels[0];
      const key = indexKey(route.levels.length, 'literal' in first ? first.literal : '');
      const bucket = this.index.get(key) ?? [];
      bucket.push(route);
      this.index.set(key, bucket);
    }
  }

  /**
   * Returns the matching route, or `undefined` when none matches. A route that matches
   * with an unacceptable parameter throws `BAD_REQUEST`.
   */
  match(topic: string): RouteMatch | undefined {
    const parts = topic.split('/');
    const candidates = this.index.get(indexKey(parts.length, parts[0])) ?? [];
    for (const route of candidates) {
      const params = bindParams(route, parts);
      if (params) return { route, params };
    }
    return undefined;
  }
}

/** The first level of a route is always a literal (its group prefix), so it can key the index. */
function indexKey(count: number, first: string): string {
  return `${count}|${first}`;
}

function bindParams(route: CompiledRoute, parts: string[]): Record<string, string> | undefined {
  // Literals first: a bad parameter only matters once the route is known to match.
  for (let i = 0; i < route.levels.length; i++) {
    const level = route.levels[i];
    if ('literal' in level && level.literal !== parts[i]) return undefined;
  }
  const params: Record<string, string> = {};
  for (let i = 0; i < route.levels.length; i++) {
    const level = route.levels[i];
    if ('param' in level) params[level.param] = checkParam(level.param, parts[i]);
  }
  return params;
}

function checkParam(name: string, value: string): string {
  const bad = (why: string) => new GatewayError('BAD_REQUEST', `path parameter ${name} ${why}`);
  if (value === '') throw bad('is empty');
  if (value === '.' || value === '..') throw bad('may not be . or ..');
  if (value.length > MAX_PARAM_LENGTH) throw bad(`is longer than ${MAX_PARAM_LENGTH} characters`);
  if (CONTROL.test(value)) throw bad('contains control characters');
  if (value.includes('+') || value.includes('#')) throw bad('contains an MQTT wildcard');
  return value;
}

/** Fills an upstream path template; each parameter is percent-encoded as one path segment. */
export function upstreamPath(template: string, params: Record<string, string>): string {
  return template.replace(/\{([^}]*)\}/g, (_, name: string) => encodeURIComponent(params[name]));
}
