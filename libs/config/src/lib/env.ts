/**
 * A small, typed environment reader. Each app declares its variables once; a bad value
 * fails with a one-line message that names the variable and the expected form.
 */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly expected: string,
    readonly received: string,
  ) {
    super(`Invalid ${variable}: expected ${expected}, got ${JSON.stringify(received)}`);
    this.name = 'ConfigError';
  }
}

export interface EnvField<T> {
  readonly expected: string;
  readonly defaultValue: T | undefined;
  readonly doc: string;
  parse(raw: string): T | undefined;
}

type Options<T> = { default?: T; doc?: string };

function field<T>(
  expected: string,
  parse: (raw: string) => T | undefined,
  options: Options<T>,
): EnvField<T> {
  return { expected, parse, defaultValue: options.default, doc: options.doc ?? '' };
}

export function str(options: Options<string> & { pattern?: RegExp } = {}): EnvField<string> {
  const { pattern } = options;
  return field(
    pattern ? `a string matching ${pattern}` : 'a non-empty string',
    (raw) => (raw.length > 0 && (!pattern || pattern.test(raw)) ? raw : undefined),
    options,
  );
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
  return field(
    `an integer${range}`,
    (raw) => {
      if (!/^-?\d+$/.test(raw.trim())) return undefined;
      const value = Number(raw);
      return Number.isSafeInteger(value) && value >= min && value <= max ? value : undefined;
    },
    options,
  );
}

export function bool(options: Options<boolean> = {}): EnvField<boolean> {
  return field(
    'true or false',
    (raw) => {
      const lower = raw.trim().toLowerCase();
      if (['true', '1', 'yes'].includes(lower)) return true;
      if (['false', '0', 'no'].includes(lower)) return false;
      return undefined;
    },
    options,
  );
}

export function oneOf<const T extends string>(
  values: readonly T[],
  options: Options<T> = {},
): EnvField<T> {
  return field(
    `one of ${values.join(', ')}`,
    (raw) => ((values as readonly string[]).includes(raw) ? (raw as T) : undefined),
    options,
  );
}

export function url(
  options: Options<string> & { protocols?: readonly string[] } = {},
): EnvField<string> {
  const protocols = options.protocols;
  return field(
    protocols ? `a URL (${protocols.map((p) => `${p}//`).join(', ')})` : 'a URL',
    (raw) => {
      try {
        const parsed = new URL(raw);
        return !protocols || protocols.includes(parsed.protocol) ? raw : undefined;
      } catch {
        return undefined;
      }
    },
    options,
  );
}

export type EnvSchema = Record<string, EnvField<unknown>>;

export type EnvOf<S extends EnvSchema> = {
  readonly [K in keyof S]: S[K] extends EnvField<infer T> ? T : never;
};

/**
 * Reads every variable of `schema` from `env`. An unset or empty variable takes its default;
 * a variable without a default that is not wrapped in `maybe` is required.
 */
export function readEnv<S extends EnvSchema>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): EnvOf<S> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(schema)) {
    const raw = env[name];
    if (raw === undefined || raw === '') {
      if (spec.defaultValue === undefined && !isOptional(spec)) {
        throw new ConfigError(name, spec.expected, '');
      }
      out[name] = spec.defaultValue;
      continue;
    }
    const value = spec.parse(raw);
    if (value === undefined) throw new ConfigError(name, spec.expected, raw);
    out[name] = value;
  }
  return out as EnvOf<S>;
}

const OPTIONAL = Symbol('optional');

function isOptional(spec: EnvField<unknown>): boolean {
  return (spec as { [OPTIONAL]?: boolean })[OPTIONAL] === true;
}

/** Marks a field as allowed to stay unset. */
export function maybe<T>(inner: EnvField<T>): EnvField<T | undefined> {
  return { ...inner, defaultValue: undefined, [OPTIONAL]: true } as EnvField<T | undefined>;
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
  process.stdout.write(`${JSON.stringify(Object.keys(schema))}\n`);
  process.exit(0);
}
