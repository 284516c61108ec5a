import type { CompiledRoute, JsonSchema } from './route.types';

/**
 * One difference between two route tables, for clients: `breaking` when a client that
 * worked with the old table may fail with the new one (a route removed, a required request
 * field added, a reply field removed, a type narrowed), `compatible` otherwise.
 */
export interface ContractChange {
  route: string;
  /** `request`, `reply`, or empty for the route itself. */
  part: '' | 'request' | 'reply';
  /** A JSON pointer into the body (request) or the reply's data. */
  pointer: string;
  breaking: boolean;
  what: string;
}

type Json = Record<string, unknown>;
type Direction = 'request' | 'reply';

/** Keywords this diff understands; a change to any other is reported as possibly breaking. */
const COMPARED = new Set([
  'type',
  'enum',
  'const',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'multipleOf',
  'pattern',
  'format',
  // Annotations: they change no instance's validity.
  'description',
  'title',
  'examples',
  '$comment',
  'default',
  'deprecated',
  'readOnly',
  'writeOnly',
  '$schema',
  '$id',
]);

/** A lower bound: a larger one narrows. */
const LOWER = ['minLength', 'minimum', 'exclusiveMinimum', 'minItems', 'minProperties'];
/** An upper bound: a smaller one narrows. */
const UPPER = ['maxLength', 'maximum', 'exclusiveMaximum', 'maxItems', 'maxProperties'];

/**
 * What changed between two route tables' contracts (`mqgw routes diff`). Schemas are
 * compared structurally, keyword by keyword: a request schema must accept at least what it
 * accepted, and a reply schema may promise no less than it promised. A route that gains its
 * first schema gains a contract, which breaks none. A change this comparison cannot judge
 * (to `anyOf`, `if`, a `$ref`, …) counts as breaking, to be checked by hand.
 */
export function diffContracts(
  before: readonly CompiledRoute[],
  after: readonly CompiledRoute[],
): ContractChange[] {
  const changes: ContractChange[] = [];
  const next = new Map(after.map((r) => [r.template, r]));
  const previous = new Map(before.map((r) => [r.template, r]));
  for (const old of before) {
    const at: Note = (part, pointer, breaking, what) =>
      changes.push({ route: old.template, part, pointer, breaking, what });
    const route = next.get(old.template);
    if (route) diffRoute(old, route, at);
    else at('', '', true, 'route removed');
  }
  for (const route of after) {
    if (!previous.has(route.template)) {
      changes.push({
        route: route.template,
        part: '',
        pointer: '',
        breaking: false,
        what: 'route added',
      });
    }
  }
  return changes;
}

type Note = (
  part: ContractChange['part'],
  pointer: string,
  breaking: boolean,
  what: string,
) => void;

/** A route kept under its template: its scopes, QoS and both schemas. */
function diffRoute(old: CompiledRoute, route: CompiledRoute, at: Note): void {
  const added = route.scopes.filter((s) => !old.scopes.includes(s));
  if (added.length > 0) at('', '', true, `now needs scope ${added.join(', ')}`);
  const dropped = old.scopes.filter((s) => !route.scopes.includes(s));
  if (dropped.length > 0) at('', '', false, `no longer needs scope ${dropped.join(', ')}`);
  if (route.qos !== old.qos) at('', '', false, `qos ${old.qos} -> ${route.qos}`);
  for (const part of ['request', 'reply'] as const) {
    const a = old.contract?.[part];
    const b = route.contract?.[part];
    if (a === undefined && b === undefined) continue;
    if (a === undefined) at(part, '', false, `${part} schema added`);
    else if (b === undefined && part === 'reply')
      at(part, '', true, 'reply schema removed: replies are no longer described');
    else if (b === undefined) at(part, '', false, 'request schema removed');
    else compare(a, b, part, '', (pointer, breaking, what) => at(part, pointer, breaking, what));
  }
}

type Report = (pointer: string, breaking: boolean, what: string) => void;

function compare(
  oldSchema: JsonSchema,
  newSchema: JsonSchema,
  direction: Direction,
  pointer: string,
  report: Report,
): void {
  const a = normalize(oldSchema);
  const b = normalize(newSchema);
  if (a === false || b === false) {
    if (a !== b) report(pointer, true, `schema ${a === false ? 'was' : 'is now'} false`);
    return;
  }
  // Narrowing breaks a request; widening breaks a reply.
  const narrowed = (what: string) => report(pointer, direction === 'request', `${what} (narrowed)`);
  const widened = (what: string) => report(pointer, direction === 'reply', `${what} (widened)`);

  compareTypes(a, b, narrowed, widened);
  compareValues(a, b, narrowed, widened);
  for (const key of LOWER) compareBound(key, a[key], b[key], (x, y) => y > x, narrowed, widened);
  for (const key of UPPER) compareBound(key, a[key], b[key], (x, y) => y < x, narrowed, widened);
  for (const key of ['pattern', 'format', 'multipleOf']) {
    if (same(a[key], b[key])) continue;
    if (a[key] === undefined) narrowed(`${key} ${JSON.stringify(b[key])} added`);
    else if (b[key] === undefined) widened(`${key} ${JSON.stringify(a[key])} removed`);
    else report(pointer, true, `${key} ${JSON.stringify(a[key])} -> ${JSON.stringify(b[key])}`);
  }
  compareObjects(a, b, direction, pointer, report, narrowed, widened);
  if (a['items'] !== undefined || b['items'] !== undefined) {
    compare(
      (a['items'] as JsonSchema | undefined) ?? true,
      (b['items'] as JsonSchema | undefined) ?? true,
      direction,
      `${pointer}/*`,
      report,
    );
  }
  const other = new Set(
    [...Object.keys(a), ...Object.keys(b)].filter((k) => !COMPARED.has(k) && !same(a[k], b[k])),
  );
  for (const key of other) {
    report(pointer, true, `${key} changed: routes diff cannot compare it, check by hand`);
  }
}

function compareTypes(
  a: Json,
  b: Json,
  narrowed: (w: string) => void,
  widened: (w: string) => void,
) {
  const before = types(a);
  const after = types(b);
  const lost = [...before].filter((t) => !covers(after, t));
  const gained = [...after].filter((t) => !covers(before, t));
  if (lost.length > 0) narrowed(`type ${[...before].join('|')} -> ${[...after].join('|')}`);
  else if (gained.length > 0) widened(`type ${[...before].join('|')} -> ${[...after].join('|')}`);
}

/** `enum` and `const` as value sets; undefined is any value. */
function compareValues(
  a: Json,
  b: Json,
  narrowed: (w: string) => void,
  widened: (w: string) => void,
) {
  const before = values(a);
  const after = values(b);
  if (before === undefined && after === undefined) return;
  const show = (v: unknown[] | undefined) =>
    v ? v.map((x) => JSON.stringify(x)).join(', ') : 'any';
  const lost = before === undefined ? true : before.some((v) => !after?.some((w) => same(v, w)));
  const gained = after === undefined ? true : after.some((v) => !before?.some((w) => same(v, w)));
  if (lost && after !== undefined) narrowed(`values ${show(before)} -> ${show(after)}`);
  if (gained && before !== undefined) widened(`values ${show(before)} -> ${show(after)}`);
}

function compareBound(
  key: string,
  x: unknown,
  y: unknown,
  tighter: (x: number, y: number) => boolean,
  narrowed: (w: string) => void,
  widened: (w: string) => void,
) {
  if (x === y) return;
  if (typeof x !== 'number') return narrowed(`${key} ${y} added`);
  if (typeof y !== 'number') return widened(`${key} ${x} removed`);
  if (tighter(x, y)) narrowed(`${key} ${x} -> ${y}`);
  else widened(`${key} ${x} -> ${y}`);
}

function compareObjects(
  a: Json,
  b: Json,
  direction: Direction,
  pointer: string,
  report: Report,
  narrowed: (w: string) => void,
  widened: (w: string) => void,
) {
  const aProps = (a['properties'] ?? {}) as Record<string, JsonSchema>;
  const bProps = (b['properties'] ?? {}) as Record<string, JsonSchema>;
  const aRequired = new Set((a['required'] ?? []) as string[]);
  const bRequired = new Set((b['required'] ?? []) as string[]);
  const closedBefore = a['additionalProperties'] === false;
  const closedAfter = b['additionalProperties'] === false;
  const names = new Set([
    ...Object.keys(aProps),
    ...Object.keys(bProps),
    ...aRequired,
    ...bRequired,
  ]);
  for (const name of names) {
    const at = `${pointer}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    const field: Field = {
      requiredBefore: aRequired.has(name),
      requiredAfter: bRequired.has(name),
      before: name in aProps || aRequired.has(name),
      after: name in bProps || bRequired.has(name),
      describedAfter: name in bProps,
    };
    for (const [breaking, what] of direction === 'request'
      ? requestFieldChanges(field, closedAfter)
      : replyFieldChanges(field))
      report(at, breaking, what);
    if (name in aProps && name in bProps)
      compare(aProps[name], bProps[name], direction, at, report);
  }
  if (!closedBefore && closedAfter) narrowed('additional properties no longer allowed');
  if (closedBefore && !closedAfter) widened('additional properties allowed');
  const extraA = a['additionalProperties'];
  const extraB = b['additionalProperties'];
  if (typeof extraA === 'object' && typeof extraB === 'object') {
    compare(extraA as JsonSchema, extraB as JsonSchema, direction, `${pointer}/*`, report);
  } else if (typeof extraA === 'object' || typeof extraB === 'object') {
    if (!same(extraA, extraB)) report(pointer, true, 'additionalProperties changed: check by hand');
  }
}

/** Where one property name stands in the schema before and after. */
interface Field {
  requiredBefore: boolean;
  requiredAfter: boolean;
  before: boolean;
  after: boolean;
  describedAfter: boolean;
}

/** A request field breaks clients when it becomes required, or refused. */
function requestFieldChanges(f: Field, closedAfter: boolean): [boolean, string][] {
  const changes: [boolean, string][] = [];
  if (!f.requiredBefore && f.requiredAfter) changes.push([true, 'required field added']);
  else if (f.requiredBefore && !f.requiredAfter) changes.push([false, 'field now optional']);
  else if (!f.before && f.after) changes.push([false, 'optional field added']);
  if (f.before && !f.describedAfter && closedAfter) {
    changes.push([true, 'field removed: a body that sends it is refused']);
  } else if (f.before && !f.after) changes.push([false, 'field removed']);
  return changes;
}

/** A reply field breaks clients when it may be missing. */
function replyFieldChanges(f: Field): [boolean, string][] {
  if (f.requiredBefore && !f.requiredAfter) {
    return [[true, f.after ? 'field now optional: a reply may lack it' : 'field removed']];
  }
  if (!f.requiredBefore && f.requiredAfter) return [[false, 'field now always present']];
  if (!f.before && f.after) return [[false, 'field added']];
  if (f.before && !f.after) return [[true, 'field removed']];
  return [];
}

function normalize(schema: JsonSchema): Json | false {
  if (schema === true) return {};
  if (schema === false) return false;
  return schema as Json;
}

const ALL_TYPES = ['array', 'boolean', 'null', 'number', 'object', 'string'];

function types(schema: Json): Set<string> {
  const type = schema['type'];
  if (type === undefined) return new Set(ALL_TYPES);
  return new Set(Array.isArray(type) ? (type as string[]) : [type as string]);
}

/** Does a type set admit `type`? A number admits every integer. */
function covers(set: Set<string>, type: string): boolean {
  return set.has(type) || (type === 'integer' && set.has('number'));
}

function values(schema: Json): unknown[] | undefined {
  if ('const' in schema) return [schema['const']];
  return Array.isArray(schema['enum']) ? (schema['enum'] as unknown[]) : undefined;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
