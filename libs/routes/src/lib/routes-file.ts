import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  LineCounter,
  isMap,
  isNode,
  isPair,
  isScalar,
  parseDocument,
  type Document,
  type YAMLError,
} from 'yaml';
import type { z } from 'zod';
import { RouteTableError, compileRoutes } from './route-compiler';
import {
  DEFAULT_CONCURRENCY,
  HANDLER,
  type CompiledRoute,
  type JsonSchema,
  type RouteDefinition,
  type RouteGroup,
  type ServiceSettings,
} from './route.types';
import type { StepName } from './steps';
import { GATEWAY_PREFIX, GATEWAY_ROUTES } from './gateway-routes';
import { routesFileSchema, type RoutesFile } from './routes-file.schema';
import { SchemaFiles } from './schema-files';

/** A loaded, validated and compiled routes file. */
export interface RouteTable {
  routes: readonly CompiledRoute[];
  /** Every service the file declares, by name. */
  services: ReadonlyMap<string, ServiceSettings>;
  /** Where the table came from. */
  source: string;
  /**
   * The first 12 hex digits of the SHA-256 of the file and the schema files it names: which
   * version is active.
   */
  digest: string;
  /** What the file should change but still works (deprecated keys), one line each. */
  warnings: readonly string[];
}

/**
 * A routes file that cannot be used, as one line naming the file, the line and the field:
 * `routes.yaml:14 groups[0].routes[2].method: expected one of GET, …, got "FETCH"`.
 */
export class RoutesFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${file}${line ? `:${line}` : ''}${field ? ` ${field}` : ''}: ${problem}`);
    this.name = 'RoutesFileError';
  }
}

type Path = readonly (string | number)[];

/** Reads and compiles a routes file; throws `RoutesFileError`. */
export function loadRoutesFile(path: string): RouteTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new RoutesFileError(
      basename(path),
      undefined,
      '',
      `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  return parseRoutesFile(text, path);
}

/** Parses YAML or JSON text of a routes file named `path`; throws `RoutesFileError`. */
export function parseRoutesFile(text: string, path: string): RouteTable {
  const file = basename(path);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const lineOf = (offset: number | undefined) =>
    offset === undefined ? undefined : lines.linePos(offset).line;
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    // A key indented too deep reads as the previous value going on: its line is where that ends.
    const multiline = doc.errors.find((e) => e.code === 'MULTILINE_IMPLICIT_KEY');
    const offset =
      first.code === 'BLOCK_AS_IMPLICIT_KEY' && multiline ? multiline.pos[1] : first.pos[0];
    throw new RoutesFileError(file, lineOf(offset), '', describeYamlError(first));
  }
  const at = (where: Path, problem: string): RoutesFileError =>
    new RoutesFileError(file, lineOf(offsetOf(doc, where)), fieldName(where), problem);

  const parsed = routesFileSchema.safeParse(doc.toJS() ?? {}, { reportInput: true });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = [...issue.path] as (string | number)[];
    if (issue.code === 'unrecognized_keys') where.push(issue.keys[0]);
    throw at(where, describeIssue(issue));
  }
  const spec = parsed.data;
  const services = new Map<string, ServiceSettings>();
  for (const [name, settings] of Object.entries(spec.services ?? {})) {
    const concurrency = settings?.concurrency;
    if (typeof concurrency === 'object') {
      const { initial, min, max } = { ...DEFAULT_CONCURRENCY, ...concurrency };
      if (!(min <= initial && initial <= max)) {
        throw at(
          ['services', name, 'concurrency'],
          `needs min ≤ initial ≤ max, got ${min}, ${initial}, ${max} (defaults ${DEFAULT_CONCURRENCY.min}, ${DEFAULT_CONCURRENCY.initial}, ${DEFAULT_CONCURRENCY.max})`,
        );
      }
    }
    services.set(name, {
      name,
      instances: (settings?.instances ?? []).map((url) => url.replace(/\/+$/, '')),
      balancer: settings?.balancer,
      breaker: settings?.breaker,
      concurrency: settings?.concurrency,
      replyValidation: settings?.replyValidation,
    });
  }
  const schemaFiles = new SchemaFiles(path);
  const schemaAt = (where: Path, value: JsonSchema | undefined): JsonSchema | undefined => {
    if (value === undefined) return undefined;
    try {
      return schemaFiles.resolve(value);
    } catch (error) {
      throw at(where, (error as Error).message);
    }
  };

  const definitions: RouteDefinition[] = [];
  const origins: Path[] = [];
  const warnings: string[] = [];
  /** `steps`, or its old name `middleware` with a warning; not both. */
  const stepsAt = (
    where: Path,
    entry: { steps?: StepName[]; middleware?: StepName[] },
  ): StepName[] | undefined => {
    if (entry.middleware === undefined) return entry.steps;
    if (entry.steps !== undefined) {
      throw at([...where, 'middleware'], 'is the old name of steps: give steps alone');
    }
    const field = fieldName([...where, 'middleware']);
    const line = lineOf(offsetOf(doc, [...where, 'middleware']));
    warnings.push(
      `${file}${line ? `:${line}` : ''} ${field}: "middleware" is deprecated, rename it to "steps" (read until the next release)`,
    );
    return entry.middleware;
  };
  const builtIn = spec.gateway !== false;
  spec.groups.forEach((g, gi) => {
    if (builtIn && g.prefix.split('/')[0] === GATEWAY_PREFIX) {
      warnings.push(builtInWarning(file, lineOf(offsetOf(doc, ['groups', gi, 'prefix'])), gi));
      return;
    }
    const groupSteps = stepsAt(['groups', gi], g);
    if (groupSteps === undefined) throw at(['groups', gi, 'steps'], 'is required');
    const group: RouteGroup = {
      prefix: g.prefix,
      steps: groupSteps,
      allowAnonymous: g.allowAnonymous,
    };
    g.routes.forEach((r, ri) => {
      const here: Path = ['groups', gi, 'routes', ri];
      const handler = r.handler ?? HANDLER.proxy;
      for (const [field, name] of [
        ['service', r.service],
        ['fallback', r.fallback],
      ] as const) {
        if (name !== undefined && !services.has(name)) {
          throw at([...here, field], `unknown service "${name}": declare it under services`);
        }
      }
      if (r.replyValidation !== undefined && r.reply === undefined) {
        throw at([...here, 'replyValidation'], 'needs a reply schema on the route');
      }
      definitions.push({
        group,
        topic: r.topic,
        qos: r.qos,
        handler,
        steps: stepsAt(here, r),
        service: r.service,
        method: r.method,
        upstreamPath: r.path,
        scopes: r.scopes ?? g.scopes,
        timeoutMs: r.timeoutMs ?? g.timeoutMs,
        retries: r.retries ?? g.retries,
        cacheTtlSeconds: r.cacheTtlSeconds ?? g.cacheTtlSeconds,
        rateLimit: r.rateLimit ?? g.rateLimit,
        fallbackService: r.fallback,
        body: r.body,
        request: schemaAt([...here, 'request'], r.request),
        reply: schemaAt([...here, 'reply'], r.reply),
        // The route's own, else its group's, else its service's.
        replyValidation:
          r.replyValidation ??
          g.replyValidation ??
          (r.service ? services.get(r.service)?.replyValidation : undefined),
      });
      origins.push(here);
    });
  });
  if (builtIn) definitions.push(...GATEWAY_ROUTES);

  let routes: CompiledRoute[];
  try {
    routes = compileRoutes(definitions);
  } catch (error) {
    if (!(error instanceof RouteTableError)) throw error;
    const where =
      error.index === undefined
        ? []
        : error.field
          ? [...(origins[error.index] ?? []), error.field]
          : (origins[error.index] ?? []);
    throw at(where, `${error.template}: ${error.problem}`);
  }
  const digest = createHash('sha256').update(text);
  for (const file of schemaFiles.files) digest.update(`\u0000${file.name}\u0000${file.text}`);
  return {
    routes,
    services,
    source: path,
    digest: digest.digest('hex').slice(0, 12),
    warnings,
  };
}

/**
 * The routes file shipped with the gateway, `config/routes.yaml`: looked up from the
 * code's own directory upwards, so it is found from the sources, the build and the image.
 */
export function defaultRoutesFile(from: string = __dirname): string {
  let dir = from;
  for (let i = 0; i < 10; i++) {
    const candidate = join(dir, 'config', 'routes.yaml');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new RoutesFileError('config/routes.yaml', undefined, '', 'not found: set ROUTES_FILE');
}

/** A group under `gateway/` while the built-in routes are on: ignored, and said so. */
function builtInWarning(file: string, line: number | undefined, group: number): string {
  return (
    `${file}${line ? `:${line}` : ''} groups[${group}].prefix: the ${GATEWAY_PREFIX}/* routes are ` +
    `built in, so this group is ignored (remove it, or set "gateway: false" to serve your own)`
  );
}

/**
 * The parser's error in the user's words. Its own for indentation ("Sequence item without -
 * indicator" for a key one space off) names a symptom, not the cause.
 */
function describeYamlError(error: YAMLError): string {
  if (error.code === 'TAB_AS_INDENT') return 'a tab indents this line: YAML indents with spaces';
  const misaligned =
    error.code === 'BAD_INDENT' ||
    error.code === 'BLOCK_AS_IMPLICIT_KEY' ||
    (error.code === 'MISSING_CHAR' && error.message.includes('without - indicator'));
  if (misaligned) {
    return 'bad indentation: this line does not line up with the keys beside it (YAML nests by spaces)';
  }
  return `not valid YAML: ${error.message.split('\n')[0]}`;
}

/** `groups[0].routes[2].method` */
function fieldName(path: Path): string {
  return path.reduce<string>(
    (out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${part}` : part),
    '',
  );
}

/** Where in the text a path points: the deepest node that exists (a key for a bad key). */
function offsetOf(doc: Document, path: Path): number | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const parentPath = path.slice(0, depth);
    const node = parentPath.length === 0 ? doc.contents : doc.getIn(parentPath, true);
    if (!isNode(node)) continue;
    // A key that should not be there: point at the key itself.
    if (depth < path.length && isMap(node)) {
      const key = path[depth];
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
      if (pair && isNode(pair.key)) return pair.key.range?.[0];
    }
    return node.range?.[0];
  }
  return undefined;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const input = (issue as { input?: unknown }).input;
  const got = input === undefined ? '' : `, got ${JSON.stringify(input)}`;
  switch (issue.code) {
    case 'invalid_value':
      return `expected one of ${issue.values.map(String).join(', ')}${got}`;
    case 'invalid_type':
      return input === undefined ? 'is required' : `expected ${issue.expected}${got}`;
    case 'unrecognized_keys':
      return `unknown field "${issue.keys[0]}"`;
    case 'invalid_union':
      return input === undefined ? 'is required' : `${unionExpectation(issue)}${got}`;
    default:
      return `${issue.message}${got}`;
  }
}

/** What a union of literals (qos, retries) accepts. */
function unionExpectation(issue: z.core.$ZodIssueInvalidUnion): string {
  const values = issue.errors.flatMap((branch) =>
    branch.flatMap((i) => (i.code === 'invalid_value' ? i.values.map(String) : [])),
  );
  return values.length > 0 ? `expected one of ${values.join(', ')}` : issue.message;
}

export type { RoutesFile };

/** A table from definitions in code (tests, tools): every service they name, undeclared. */
export function routeTableOf(definitions: readonly RouteDefinition[], source = 'code'): RouteTable {
  const routes = compileRoutes(definitions);
  const names = new Set(routes.flatMap((r) => (r.service ? [r.service] : [])));
  return {
    routes,
    services: new Map([...names].map((name) => [name, { name, instances: [] }])),
    source,
    digest: source,
    warnings: [],
  };
}

/** The services a table names: those it declares and those its routes call. */
export function servicesOf(table: RouteTable): string[] {
  const names = new Set(table.services.keys());
  for (const route of table.routes) if (route.service) names.add(route.service);
  return [...names];
}
