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
  const reader = new RoutesFileReader(text, path);
  const spec = reader.spec();
  const services = reader.services(spec);
  const schemaFiles = new SchemaFiles(path);
  const routes = reader.compile(spec, services, schemaFiles);
  const digest = createHash('sha256').update(text);
  for (const file of schemaFiles.files) digest.update(`\u0000${file.name}\u0000${file.text}`);
  return {
    routes,
    services,
    source: path,
    digest: digest.digest('hex').slice(0, 12),
    warnings: reader.warnings,
  };
}

/**
 * One routes file being read: its YAML document, which knows the line of every field, and
 * what to warn about. Each step throws a `RoutesFileError` naming the file, line and field.
 */
class RoutesFileReader {
  readonly warnings: string[] = [];
  private readonly file: string;
  private readonly lines = new LineCounter();
  private readonly doc: Document;
  /** Where each definition came from in the file, by index, for the compiler's errors. */
  private readonly origins: Path[] = [];

  constructor(text: string, path: string) {
    this.file = basename(path);
    this.doc = parseDocument(text, {
      lineCounter: this.lines,
      prettyErrors: false,
      uniqueKeys: true,
    });
    if (this.doc.errors.length > 0) {
      const first = this.doc.errors[0];
      // A key indented too deep reads as the previous value going on: its line is where that ends.
      const multiline = this.doc.errors.find((e) => e.code === 'MULTILINE_IMPLICIT_KEY');
      const offset =
        first.code === 'BLOCK_AS_IMPLICIT_KEY' && multiline ? multiline.pos[1] : first.pos[0];
      throw new RoutesFileError(this.file, this.lineOf(offset), '', describeYamlError(first));
    }
  }

  /** The file's content, as the routes file schema reads it. */
  spec(): RoutesFile {
    const parsed = routesFileSchema.safeParse(this.doc.toJS() ?? {}, { reportInput: true });
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    const where = [...issue.path] as (string | number)[];
    if (issue.code === 'unrecognized_keys') where.push(issue.keys[0]);
    throw this.at(where, describeIssue(issue));
  }

  services(spec: RoutesFile): Map<string, ServiceSettings> {
    const services = new Map<string, ServiceSettings>();
    for (const [name, settings] of Object.entries(spec.services ?? {})) {
      const concurrency = settings?.concurrency;
      if (typeof concurrency === 'object') {
        const { initial, min, max } = { ...DEFAULT_CONCURRENCY, ...concurrency };
        if (!(min <= initial && initial <= max)) {
          throw this.at(
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
    return services;
  }

  /** Every route of the file, then the built-in gateway/* routes unless turned off. */
  compile(
    spec: RoutesFile,
    services: ReadonlyMap<string, ServiceSettings>,
    schemaFiles: SchemaFiles,
  ): CompiledRoute[] {
    const definitions: RouteDefinition[] = [];
    const builtIn = spec.gateway !== false;
    spec.groups.forEach((g, gi) => {
      if (builtIn && g.prefix.split('/')[0] === GATEWAY_PREFIX) {
        this.warn(
          ['groups', gi, 'prefix'],
          `the ${GATEWAY_PREFIX}/* routes are built in, so this group is ignored (remove it, or set "gateway: false" to serve your own)`,
        );
        return;
      }
      const steps = this.stepsAt(['groups', gi], g);
      if (steps === undefined) throw this.at(['groups', gi, 'steps'], 'is required');
      const group: RouteGroup = { prefix: g.prefix, steps, allowAnonymous: g.allowAnonymous };
      g.routes.forEach((r, ri) => {
        const here: Path = ['groups', gi, 'routes', ri];
        definitions.push(this.route(here, r, g, group, services, schemaFiles));
        this.origins.push(here);
      });
    });
    if (builtIn) definitions.push(...GATEWAY_ROUTES);
    try {
      return compileRoutes(definitions);
    } catch (error) {
      if (!(error instanceof RouteTableError)) throw error;
      const origin = error.index === undefined ? undefined : (this.origins[error.index] ?? []);
      throw this.at(
        origin && error.field ? [...origin, error.field] : (origin ?? []),
        `${error.template}: ${error.problem}`,
      );
    }
  }

  private route(
    here: Path,
    r: RouteEntry,
    g: GroupEntry,
    group: RouteGroup,
    services: ReadonlyMap<string, ServiceSettings>,
    schemaFiles: SchemaFiles,
  ): RouteDefinition {
    for (const [field, name] of [
      ['service', r.service],
      ['fallback', r.fallback],
    ] as const) {
      if (name !== undefined && !services.has(name)) {
        throw this.at([...here, field], `unknown service "${name}": declare it under services`);
      }
    }
    if (r.replyValidation !== undefined && r.reply === undefined) {
      throw this.at([...here, 'replyValidation'], 'needs a reply schema on the route');
    }
    const schemaAt = (field: string, value: JsonSchema | undefined) => {
      if (value === undefined) return undefined;
      try {
        return schemaFiles.resolve(value);
      } catch (error) {
        throw this.at([...here, field], (error as Error).message);
      }
    };
    return {
      group,
      topic: r.topic,
      qos: r.qos,
      handler: r.handler ?? HANDLER.proxy,
      steps: this.stepsAt(here, r),
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
      request: schemaAt('request', r.request),
      reply: schemaAt('reply', r.reply),
      // The route's own, else its group's, else its service's.
      replyValidation:
        r.replyValidation ??
        g.replyValidation ??
        (r.service ? services.get(r.service)?.replyValidation : undefined),
    };
  }

  /** `steps`, or its old name `middleware` with a warning; not both. */
  private stepsAt(
    where: Path,
    entry: { steps?: StepName[]; middleware?: StepName[] },
  ): StepName[] | undefined {
    if (entry.middleware === undefined) return entry.steps;
    if (entry.steps !== undefined) {
      throw this.at([...where, 'middleware'], 'is the old name of steps: give steps alone');
    }
    this.warn(
      [...where, 'middleware'],
      '"middleware" is deprecated, rename it to "steps" (read until the next release)',
    );
    return entry.middleware;
  }

  private lineOf(offset: number | undefined): number | undefined {
    return offset === undefined ? undefined : this.lines.linePos(offset).line;
  }

  private at(where: Path, problem: string): RoutesFileError {
    return new RoutesFileError(
      this.file,
      this.lineOf(offsetOf(this.doc, where)),
      fieldName(where),
      problem,
    );
  }

  private warn(where: Path, message: string): void {
    this.warnings.push(this.at(where, message).message);
  }
}

type GroupEntry = RoutesFile['groups'][number];
type RouteEntry = GroupEntry['routes'][number];

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
