import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * Typed environment variables, declared with zod. Each app (and each of its modules) declares
 * its variables once; a bad value fails with a one-line message that names the variable and
 * the expected form, and never repeats the value of a secret.
 */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly expected: string,
    received: string,
    secret = false,
  ) {
    super(
      `Invalid ${variable}: expected ${expected}, got ${secret ? (received === '' ? '""' : 'a value that is not shown') : JSON.stringify(redactUrlCredentials(received))}`,
    );
    this.name = 'ConfigError';
  }
}

/** What the docs, `.env.example` and `--env-schema` know about a variable. */
export interface EnvMeta {
  readonly expected: string;
  readonly doc: string;
  /** Never echoed in errors; may be read from `<NAME>_FILE` instead. */
  readonly secret: boolean;
  readonly optional: boolean;
}

/** One variable: a zod schema from the raw string (or `undefined` when unset) to its value. */
export type EnvField<T> = z.ZodType<T, string | undefined> & { readonly about: EnvMeta };

type Options<T> = { default?: T; doc?: string; secret?: boolean };

const unsetIfEmpty = (raw: unknown) => (raw === '' ? undefined : raw);

function field<T>(expected: string, parse: z.ZodType<T, string>, options: Options<T>): EnvField<T> {
  const fallback = options.default;
  const schema = z.preprocess(
    unsetIfEmpty,
    fallback === undefined ? parse : parse.optional().transform((v) => v ?? fallback),
  ) as unknown as z.ZodType<T, string | undefined>;
  const meta: EnvMeta = {
    expected,
    doc: options.doc ?? '',
    secret: options.secret ?? false,
    optional: fallback !== undefined,
  };
  return Object.assign(schema, { about: meta });
}

export function str(options: Options<string> & { pattern?: RegExp } = {}): EnvField<string> {
  const { pattern } = options;
  const schema = pattern ? z.string().regex(pattern) : z.string().min(1);
  return field(pattern ? `a string matching ${pattern}` : 'a non-empty string', schema, options);
}

export function int(
  options: Options<number> & { min?: number; max?: number } = {},
): EnvField<number> {
  const min = options.min ?? Number.MIN_SAFE_INTEGER;
  const max = options.max ?? Number.MAX_SAFE_INTEGER;
  const range =
    options.min !== undefined && options.max !== undefined
      ? ` from ${min} to ${max}`
      : options.min !== undefined
        ? ` >= ${min}`
        : '';
  const schema = z
    .string()
    .trim()
    .regex(/^-?\d+$/)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
  return field(`an integer${range}`, schema, options);
}

export function bool(options: Options<boolean> = {}): EnvField<boolean> {
  const schema = z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['true', '1', 'yes', 'false', '0', 'no']))
    .transform((v) => v === 'true' || v === '1' || v === 'yes');
  return field('true or false', schema, options);
}

export function oneOf<const T extends string>(
  values: readonly T[],
  options: Options<T> = {},
): EnvField<T> {
  const schema = z.enum(values as unknown as [T, ...T[]]) as unknown as z.ZodType<T, string>;
  return field(`one of ${values.join(', ')}`, schema, options);
}

export function url(
  options: Options<string> & { protocols?: readonly string[] } = {},
): EnvField<string> {
  const protocols = options.protocols;
  const schema = z.string().refine((raw) => {
    try {
      return !protocols || protocols.includes(new URL(raw).protocol);
    } catch {
      return false;
    }
  });
  return field(
    protocols ? `a URL (${protocols.map((p) => `${p}//`).join(', ')})` : 'a URL',
    schema,
    options,
  );
}

/**
 * Any other form: `parse` returns the value, or `undefined` when the text does not say
 * `expected`.
 */
export function custom<T>(
  expected: string,
  parse: (raw: string) => T | undefined,
  options: Options<T> = {},
): EnvField<T> {
  const schema = z.string().transform((raw, ctx) => {
    const value = parse(raw);
    if (value === undefined) {
      ctx.addIssue({ code: 'custom', message: expected });
      return z.NEVER;
    }
    return value;
  });
  return field(expected, schema, options);
}

/** Marks a field as allowed to stay unset. */
export function maybe<T>(inner: EnvField<T>): EnvField<T | undefined> {
  const schema = z.preprocess(unsetIfEmpty, (inner as z.ZodType<T, string | undefined>).optional());
  return Object.assign(schema, {
    about: { ...inner.about, optional: true },
  }) as unknown as EnvField<T | undefined>;
}

export type EnvSchema = Record<string, EnvField<unknown>>;

export type EnvOf<S extends EnvSchema> = {
  readonly [K in keyof S]: S[K] extends EnvField<infer T> ? T : never;
};

/**
 * Reads every variable of `schema` from `env`. An unset or empty variable takes its default;
 * a variable without a default that is not wrapped in `maybe` is required. A secret may come
 * from the file named by `<NAME>_FILE` (as Docker secrets are mounted), never from both.
 */
export function readEnv<S extends EnvSchema>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): EnvOf<S> {
  const raw: Record<string, string | undefined> = {};
  for (const [name, spec] of Object.entries(schema)) raw[name] = rawValue(name, spec.about, env);
  const result = z.object(schema).safeParse(raw);
  if (result.success) return result.data as EnvOf<S>;
  const issue = result.error.issues[0];
  const name = String(issue.path[0]);
  const spec = schema[name];
  throw new ConfigError(name, spec.about.expected, raw[name] ?? '', spec.about.secret);
}

function rawValue(
  name: string,
  meta: EnvMeta,
  env: Record<string, string | undefined>,
): string | undefined {
  const value = env[name];
  const file = meta.secret ? env[`${name}_FILE`] : undefined;
  if (!file) return value;
  if (value) throw new ConfigError(`${name}_FILE`, `to be unset when ${name} is set`, file);
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch {
    throw new ConfigError(`${name}_FILE`, 'a readable file', file);
  }
}

/** The variables a schema reads, `<NAME>_FILE` included for secrets. */
export function envNames(schema: EnvSchema): string[] {
  return Object.entries(schema).flatMap(([name, spec]) =>
    spec.about.secret ? [name, `${name}_FILE`] : [name],
  );
}

/** `scheme://user:password@host` becomes `scheme://***@host`, wherever it appears in `text`. */
export function redactUrlCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, '$1***@');
}

/**
 * Loads config at boot. A `ConfigError` prints its one line to stderr and exits with 78
 * (EX_CONFIG), without a stack trace; other errors propagate.
 */
export function loadConfigOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`config error: ${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
}

/**
 * `node main.js --env-schema` prints the variables the app reads, as JSON, and exits:
 * deployment files are checked against it without importing the app.
 */
export function exitWithEnvSchemaIfAsked(
  schema: EnvSchema,
  argv: readonly string[] = process.argv,
): void {
  if (!argv.includes('--env-schema')) return;
  process.stdout.write(`${JSON.stringify(envNames(schema))}\n`);
  process.exit(0);
}
