import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { JsonSchema } from './route.types';

/** A schema file that was read, for the table's digest. */
export interface SchemaFile {
  /** Relative to the routes file. */
  name: string;
  text: string;
}

type Json = Record<string, unknown>;

/**
 * Reads the schema files a routes file names, each once however many routes share it, and
 * bundles them: a route's `{$ref: <file>}` is that file's schema, and a `$ref` to a file
 * inside a schema (`$ref: user.yaml`, relative to the file that holds it) is replaced by that
 * file's schema, so every route's schema is one self-contained document: for the validator,
 * the AsyncAPI document, the generated types and `routes diff` alike. A `$ref` that points
 * inside a schema (`#/$defs/...`) is JSON Schema's own and stays; a file that another schema
 * takes in may not use one, since its `#` would then mean the other schema.
 */
export class SchemaFiles {
  private readonly texts = new Map<string, SchemaFile>();
  private readonly parsed = new Map<string, JsonSchema>();

  constructor(private readonly routesPath: string) {}

  /** The files read so far, in the order first read. */
  get files(): SchemaFile[] {
    return [...this.texts.values()];
  }

  /** The route's schema, bundled; throws a one-line `Error`. */
  resolve(value: JsonSchema): JsonSchema {
    const base = dirname(this.routesPath);
    const name = fileRef(value);
    if (name === undefined) return this.bundle(value, base, [], false);
    const path = resolve(base, name);
    return this.bundle(this.read(path), dirname(path), [path], false);
  }

  /** `nested`: the schema is a file taken into another schema, not a route's own. */
  private bundle(
    schema: unknown,
    base: string,
    chain: readonly string[],
    nested: boolean,
  ): JsonSchema {
    const walk = (node: unknown): unknown => {
      if (Array.isArray(node)) return node.map(walk);
      if (typeof node !== 'object' || node === null) return node;
      const object = node as Json;
      const name = typeof object['$ref'] === 'string' ? fileRef(object as JsonSchema) : undefined;
      if (nested && name === undefined && String(object['$ref']).startsWith('#')) {
        throw new Error(
          `${this.shown(chain[chain.length - 1])}: a schema taken into another may not use #-references`,
        );
      }
      if (name !== undefined) {
        const path = resolve(base, name);
        if (chain.includes(path)) {
          throw new Error(`${this.shown(path)}: refers to itself through $ref`);
        }
        return this.bundle(this.read(path), dirname(path), [...chain, path], true);
      }
      return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, walk(v)]));
    };
    return walk(schema) as JsonSchema;
  }

  private read(path: string): JsonSchema {
    const known = this.parsed.get(path);
    if (known !== undefined) return known;
    const name = this.shown(path);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new Error(
        `cannot read ${name} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      );
    }
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    if (doc.errors.length > 0) {
      const first = doc.errors[0];
      throw new Error(
        `${name}:${lines.linePos(first.pos[0]).line}: ${first.message.split('\n')[0]}`,
      );
    }
    const schema = doc.toJS() as unknown;
    if (typeof schema !== 'boolean' && (typeof schema !== 'object' || schema === null)) {
      throw new Error(`${name}: a schema file holds one JSON Schema (an object or a boolean)`);
    }
    this.texts.set(path, { name, text });
    this.parsed.set(path, schema as JsonSchema);
    return schema as JsonSchema;
  }

  private shown(path: string): string {
    return relative(dirname(this.routesPath), path);
  }
}

/** The file a `{$ref: <file>}` names, or undefined for JSON Schema's own references. */
function fileRef(value: JsonSchema): string | undefined {
  if (typeof value !== 'object') return undefined;
  const ref = value['$ref'];
  if (typeof ref !== 'string' || ref.startsWith('#') || /^[a-z][a-z0-9+.-]*:/i.test(ref)) {
    return undefined;
  }
  if (Object.keys(value).length !== 1) {
    throw new Error(`$ref ${ref}: a reference to a file stands alone, without other keywords`);
  }
  if (isAbsolute(ref)) throw new Error(`$ref ${ref}: name a file relative to the routes file`);
  if (ref.includes('#')) throw new Error(`$ref ${ref}: a reference to a file names a whole file`);
  return ref;
}
