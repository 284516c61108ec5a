import Ajv2020, { type ErrorObject, type Options, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { JsonSchema, Violation } from './route.types';

/** At most this many violations are reported for one value. */
export const MAX_VIOLATIONS = 10;
/** A pointer or message longer than this is cut, so a client cannot make a reply large. */
export const MAX_VIOLATION_TEXT = 200;
/**
 * Every violation is collected only for values of at most this many JSON nodes; a larger
 * invalid value reports its first. Ajv's own advice is not to collect all errors on
 * untrusted input, since a huge array of wrong items makes one error object per item.
 */
export const DETAILED_NODE_LIMIT = 2_000;

/** A compiled schema: the violations of a value, an empty array when it is valid. */
export type Validator = (value: unknown) => readonly Violation[];

const NONE: readonly Violation[] = Object.freeze([]);

const OPTIONS: Options = {
  // Unknown keywords and formats are load errors, not silent no-ops. Which keywords go with
  // which type stays the schema author's call.
  strict: true,
  strictTypes: false,
  strictTuples: false,
  strictRequired: false,
  allowUnionTypes: true,
  // `multipleOf: 0.01` holds for 0.07, whatever binary floating point makes of 0.07 / 0.01.
  multipleOfPrecision: 9,
  // Validation never changes the body it checks.
  useDefaults: false,
  coerceTypes: false,
  removeAdditional: false,
};

/**
 * Compiles the JSON Schemas (2020-12) of one route table with Ajv, the usual validator:
 * it compiles each schema to a JavaScript function once, so a check on the hot path costs
 * well under a microsecond for the default table's bodies (docs/benchmarks.md). Each schema
 * is compiled twice: a validator that stops at the first error for every request, and one
 * that collects them all, used only to describe a small invalid value (compiled the first
 * time one comes).
 */
export class SchemaCompiler {
  private readonly first = addFormats(new Ajv2020({ ...OPTIONS, allErrors: false }));
  private readonly all = addFormats(new Ajv2020({ ...OPTIONS, allErrors: true }));

  /** Validators by schema text: routes often share one (the default table's 40 have 20). */
  private readonly compiled = new Map<string, Validator>();

  /** Throws Ajv's error when the schema does not compile. */
  compile(schema: JsonSchema): Validator {
    const key = JSON.stringify(schema);
    let validator = this.compiled.get(key);
    if (!validator) {
      validator = this.compileOnce(schema);
      this.compiled.set(key, validator);
    }
    return validator;
  }

  private compileOnce(schema: JsonSchema): Validator {
    const first = this.first.compile(schema as object);
    // Compiled when first needed: most schemas never see an invalid value, and a table
    // loads in half the time.
    let all: ValidateFunction | undefined;
    return (value) => {
      if (first(value)) return NONE;
      if (!nodesAtMost(value, DETAILED_NODE_LIMIT)) return toViolations(first.errors ?? []);
      all ??= this.all.compile(schema as object);
      return toViolations(errorsOf(all, value) ?? []);
    };
  }
}

function errorsOf(validate: ValidateFunction, value: unknown): ErrorObject[] | null | undefined {
  validate(value);
  return validate.errors;
}

/** Ajv's errors as pointers and messages: deduplicated, capped in number and length. */
export function toViolations(errors: readonly ErrorObject[]): Violation[] {
  const out: Violation[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    // The branch that failed says more than "must match "then" schema", and the name that
    // failed more than "property name must be valid".
    if (error.keyword === 'if' || error.keyword === 'propertyNames') continue;
    const violation = describe(error);
    const key = `${violation.pointer}\u0000${violation.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({
      pointer: clip(violation.pointer),
      message: clip(violation.message),
    });
    if (out.length === MAX_VIOLATIONS) break;
  }
  return out;
}

function describe(error: ErrorObject): Violation {
  const params = error.params as Record<string, unknown>;
  const at = error.instancePath;
  // A key that breaks `propertyNames`: the key is at fault, not its object.
  if (error.propertyName !== undefined) {
    const rule =
      error.keyword === 'enum'
        ? describe({ ...error, propertyName: undefined }).message
        : error.message;
    return { pointer: child(at, error.propertyName), message: `is not allowed: the name ${rule}` };
  }
  switch (error.keyword) {
    case 'required':
      return { pointer: child(at, String(params['missingProperty'])), message: 'is required' };
    case 'additionalProperties':
      return {
        pointer: child(at, String(params['additionalProperty'])),
        message: 'is not allowed',
      };
    case 'unevaluatedProperties':
      return {
        pointer: child(at, String(params['unevaluatedProperty'])),
        message: 'is not allowed',
      };
    case 'enum':
      return {
        pointer: at,
        message: `must be one of ${(params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      };
    case 'const':
      return { pointer: at, message: `must be ${JSON.stringify(params['allowedValue'])}` };
    default:
      return { pointer: at, message: error.message ?? `fails ${error.keyword}` };
  }
}

/** A JSON pointer one level down (RFC 6901: `~` is `~0`, `/` is `~1`). */
function child(pointer: string, key: string): string {
  return `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

function clip(text: string): string {
  return text.length > MAX_VIOLATION_TEXT ? `${text.slice(0, MAX_VIOLATION_TEXT - 1)}…` : text;
}

/** Whether a JSON value has at most `limit` nodes, counted without walking past the limit. */
export function nodesAtMost(value: unknown, limit: number): boolean {
  let budget = limit;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    if (--budget < 0) return false;
    const node = stack.pop();
    if (typeof node !== 'object' || node === null) continue;
    if (Array.isArray(node)) {
      if (node.length > budget) return false;
      for (const item of node) stack.push(item);
    } else {
      const values = Object.values(node);
      if (values.length > budget) return false;
      for (const item of values) stack.push(item);
    }
  }
  return true;
}
