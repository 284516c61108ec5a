import {
  DETAILED_NODE_LIMIT,
  MAX_VIOLATIONS,
  MAX_VIOLATION_TEXT,
  SchemaCompiler,
  nodesAtMost,
} from './schema-compiler';

const user = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'email'],
  properties: {
    name: { type: 'string', maxLength: 5 },
    email: { type: 'string', format: 'email' },
    role: { enum: ['user', 'admin'] },
    tags: { type: 'array', items: { type: 'integer' } },
    'a/b~c': { const: 1 },
  },
};

describe('SchemaCompiler', () => {
  const validate = new SchemaCompiler().compile(user);

  it('answers a valid value with no violations', () => {
    expect(validate({ name: 'Ada', email: 'ada@example.com', role: 'user' })).toEqual([]);
  });

  it('names every field at fault by JSON pointer, with a message', () => {
    expect(
      validate({ name: 'Adalbert', email: 'nope', role: 'root', extra: 1, tags: [1, 'x'] }),
    ).toEqual([
      { pointer: '/extra', message: 'is not allowed' },
      { pointer: '/name', message: 'must NOT have more than 5 characters' },
      { pointer: '/email', message: 'must match format "email"' },
      { pointer: '/role', message: 'must be one of "user", "admin"' },
      { pointer: '/tags/1', message: 'must be integer' },
    ]);
    expect(validate({})).toEqual([
      { pointer: '/name', message: 'is required' },
      { pointer: '/email', message: 'is required' },
    ]);
    expect(validate([])).toEqual([{ pointer: '', message: 'must be object' }]);
  });

  it('escapes ~ and / in pointers (RFC 6901)', () => {
    expect(validate({ name: 'a', email: 'a@b.io', 'a/b~c': 2, 'x/y': 1 })).toEqual([
      { pointer: '/x~1y', message: 'is not allowed' },
      { pointer: '/a~1b~0c', message: 'must be 1' },
    ]);
  });

  it('names a key that breaks propertyNames, not its object', () => {
    const data = new SchemaCompiler().compile({
      type: 'object',
      propertyNames: { enum: ['name'] },
    });
    expect(data({ name: 1, coupon: 2 })).toEqual([
      { pointer: '/coupon', message: 'is not allowed: the name must be one of "name"' },
    ]);
  });

  it('caps the violations in number and each in length', () => {
    const many = Object.fromEntries(
      Array.from({ length: 50 }, (_, i) => [`field${i}`, i] as const),
    );
    expect(validate({ name: 'a', email: 'a@b.io', ...many })).toHaveLength(MAX_VIOLATIONS);
    const long = 'k'.repeat(10_000);
    const [violation] = validate({ name: 'a', email: 'a@b.io', [long]: 1 });
    expect(violation.pointer.length).toBe(MAX_VIOLATION_TEXT);
    expect(violation.pointer.endsWith('…')).toBe(true);
  });

  it('describes a large invalid value by its first violation only', () => {
    const tags = Array.from({ length: DETAILED_NODE_LIMIT }, () => 'x');
    expect(validate({ name: 'a', email: 'a@b.io', tags })).toEqual([
      { pointer: '/tags/0', message: 'must be integer' },
    ]);
    expect(validate({ name: 'a', email: 'a@b.io', tags: tags.slice(0, 20) })).toHaveLength(
      MAX_VIOLATIONS,
    );
  });

  it('never changes the value it checks', () => {
    const compiler = new SchemaCompiler().compile({
      type: 'object',
      properties: { n: { type: 'integer', default: 3 } },
    });
    const body = { n: undefined as unknown };
    delete body.n;
    expect(compiler(body)).toEqual([]);
    expect(body).toEqual({});
  });

  it('holds two-decimal amounts despite binary floating point', () => {
    const amount = new SchemaCompiler().compile({ type: 'number', multipleOf: 0.01 });
    for (const ok of [0.07, 14.97, 1.1, 999999.99]) expect(amount(ok)).toEqual([]);
    for (const bad of [0.001, 1.005, 2.345]) expect(amount(bad)).toHaveLength(1);
  });

  it('refuses a schema that does not compile: unknown keywords, formats, bad types', () => {
    const compiler = new SchemaCompiler();
    expect(() => compiler.compile({ type: 'object', propertees: {} })).toThrow(
      /unknown keyword: "propertees"/,
    );
    expect(() => compiler.compile({ type: 'string', format: 'emial' })).toThrow(
      /unknown format "emial"/,
    );
    expect(() => compiler.compile({ type: 'strng' })).toThrow(/schema is invalid/);
  });
});

describe('nodesAtMost', () => {
  it('counts nodes without walking past the limit', () => {
    expect(nodesAtMost({ a: [1, 2], b: { c: null } }, 6)).toBe(true);
    expect(nodesAtMost({ a: [1, 2], b: { c: null } }, 5)).toBe(false);
    expect(nodesAtMost(new Array(1_000_000).fill(0), 10)).toBe(false);
    expect(nodesAtMost('x', 1)).toBe(true);
  });
});
