import { BadRequestException } from '@nestjs/common';
import { EMAIL, validateBody, type Schema } from './validation';

const schema: Schema = {
  name: { type: 'string', required: true, maxLength: 5 },
  email: { type: 'string', pattern: EMAIL },
  age: { type: 'integer', min: 0 },
  tags: { type: 'array', minItems: 1 },
  kind: { type: 'enum', values: ['a', 'b'] },
  meta: { type: 'object' },
  active: { type: 'boolean' },
};

function problems(body: unknown, partial = false): string[] {
  try {
    validateBody(body, schema, { partial });
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestException);
    return ((error as BadRequestException).getResponse() as { message: string[] }).message;
  }
}

describe('validateBody', () => {
  it('accepts a valid body and ignores unknown fields', () => {
    expect(
      problems({
        name: 'abc',
        email: 'a@b.co',
        age: 3,
        tags: ['x'],
        kind: 'a',
        meta: {},
        active: true,
        x: 1,
      }),
    ).toEqual([]);
  });

  it('lists every problem', () => {
    expect(
      problems({
        name: 'toolong',
        email: 'x',
        age: 1.5,
        tags: [],
        kind: 'c',
        meta: [],
        active: 'yes',
      }),
    ).toEqual([
      'name must be at most 5 characters',
      'email has an invalid format',
      'age must be an integer',
      'tags must have at least 1 items',
      'kind must be one of a, b',
      'meta must be an object',
      'active must be a boolean',
    ]);
  });

  it('requires fields unless partial, and rejects non-objects', () => {
    expect(problems({})).toEqual(['name is required']);
    expect(problems({}, true)).toEqual([]);
    expect(problems([1])).toEqual(['body must be a JSON object']);
    expect(problems(null)).toEqual(['body must be a JSON object']);
  });
});
