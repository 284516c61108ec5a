import type { BodyRewrite, BodyTransform } from './route.types';

const PARAM = /\{([a-z_][a-z0-9_]*)\}/gi;

/** Path parameters a rewrite's `set` values name. */
export function rewriteParams(rewrite: BodyRewrite): string[] {
  return Object.values(rewrite.set ?? {}).flatMap((value) =>
    typeof value === 'string' ? [...value.matchAll(PARAM)].map((m) => m[1]) : [],
  );
}

/**
 * Compiles a declarative rewrite into a function: `rename`, then `remove`, then `set`,
 * each on a copy, so the request's own body is never changed.
 */
export function compileBodyRewrite(rewrite: BodyRewrite): BodyTransform {
  const renames = Object.entries(rewrite.rename ?? {});
  const removals = rewrite.remove ?? [];
  const sets = Object.entries(rewrite.set ?? {});
  return (body, params) => {
    const out: Record<string, unknown> = { ...body };
    for (const [from, to] of renames) {
      if (!Object.hasOwn(out, from)) continue;
      const value = out[from];
      delete out[from];
      if (!Object.hasOwn(out, to)) out[to] = value;
    }
    for (const field of removals) delete out[field];
    for (const [field, value] of sets) {
      out[field] =
        typeof value === 'string' ? value.replace(PARAM, (_, name: string) => params[name]) : value;
    }
    return out;
  };
}
