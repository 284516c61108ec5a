import { GatewayError } from '@mqgw/contracts';
import {
  MAX_HEADERS,
  asNestPacket,
  jsonDepth,
  parseBody,
  readHeaders,
  requireObject,
} from './inbound';

const code = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    return `${(error as GatewayError).code}: ${(error as GatewayError).message}`;
  }
};

describe('parseBody', () => {
  it('treats an empty or blank payload as {}', () => {
    expect(parseBody(Buffer.alloc(0))).toEqual({});
    expect(parseBody(Buffer.from('  \n'))).toEqual({});
  });

  it('rejects numbers that overflow a double, and keeps large finite ones', () => {
    const huge = 'BAD_REQUEST: payload has a number outside the double range';
    expect(code(() => parseBody(Buffer.from('{"a":1e400}')))).toBe(huge);
    expect(code(() => parseBody(Buffer.from('{"a":[{"b":-1E+999}]}')))).toBe(huge);
    expect(code(() => parseBody(Buffer.from(`{"a":${'9'.repeat(400)}}`)))).toBe(huge);
    expect(parseBody(Buffer.from('{"a":1e308,"b":"1e999"}'))).toEqual({ a: 1e308, b: '1e999' });
    expect(parseBody(Buffer.from('{"id":12345678901234567890}'))).toEqual({
      id: Number('12345678901234567890'),
    });
  });

  it('rejects invalid UTF-8 and invalid JSON', () => {
    expect(code(() => parseBody(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])))).toBe(
      'BAD_REQUEST: payload is not valid UTF-8',
    );
    expect(code(() => parseBody(Buffer.from('{"a":')))).toBe(
      'BAD_REQUEST: payload is not valid JSON',
    );
  });

  it('refuses JSON nested deeper than 64 levels before parsing it', () => {
    const deep = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
    expect(code(() => parseBody(Buffer.from(deep)))).toBe(
      'BAD_REQUEST: payload is nested deeper than 64 levels',
    );
    const ok = '{"a":'.repeat(64) + '1' + '}'.repeat(64);
    expect(code(() => parseBody(Buffer.from(ok)))).toBe('ok');
    expect(jsonDepth('{"s":"[[[[{{{{\\"","t":[1]}')).toBe(2);
  });

  it('accepts only objects as request bodies', () => {
    expect(code(() => requireObject(parseBody(Buffer.from('[1]'))))).toBe(
      'BAD_REQUEST: payload must be a JSON object',
    );
    expect(code(() => requireObject(parseBody(Buffer.from('42'))))).toBe(
      'BAD_REQUEST: payload must be a JSON object',
    );
    expect(code(() => requireObject(parseBody(Buffer.from('null'))))).toBe(
      'BAD_REQUEST: payload must be a JSON object',
    );
    expect(requireObject(parseBody(Buffer.from('{"n":1e300}')))).toEqual({ n: 1e300 });
  });
});

describe('readHeaders', () => {
  it('lower-cases names', () => {
    expect({ ...readHeaders({ Authorization: 'Bearer x', 'X-Tenant': 'a' }) }).toEqual({
      authorization: 'Bearer x',
      'x-tenant': 'a',
    });
  });

  it.each([
    [{ 'x-a': 'one\r\ntwo' }, 'BAD_REQUEST: user property x-a contains CR, LF or NUL'],
    [{ 'x-a': 'one\ntwo' }, 'BAD_REQUEST: user property x-a contains CR, LF or NUL'],
    [{ 'x-a': ['1', '2'] }, 'BAD_REQUEST: user property x-a is repeated'],
    [{ 'X-A': '1', 'x-a': '2' }, 'BAD_REQUEST: user property x-a is repeated'],
    [{ 'x-a': 'v'.repeat(8193) }, 'BAD_REQUEST: user property x-a is too large'],
    [{ 'bad name': 'v' }, 'BAD_REQUEST: a user property has an invalid name'],
  ])('rejects %p', (props, message) => {
    expect(code(() => readHeaders(props as Record<string, string | string[]>))).toBe(message);
  });

  it('bounds the number of properties', () => {
    const many = Object.fromEntries(
      Array.from({ length: MAX_HEADERS + 1 }, (_, i) => [`x-${i}`, 'v']),
    );
    expect(code(() => readHeaders(many))).toBe(
      `BAD_REQUEST: at most ${MAX_HEADERS} user properties are allowed`,
    );
  });

  it('refuses __proto__ and other odd names before they touch any object', () => {
    expect(code(() => readHeaders(JSON.parse('{"__proto__":"x"}')))).toBe(
      'BAD_REQUEST: a user property has an invalid name',
    );
  });
});

describe('asNestPacket', () => {
  it('recognises {pattern, data, id} for this topic only', () => {
    expect(asNestPacket({ pattern: 'a/b', data: { x: 1 }, id: '1' }, 'a/b')).toEqual({
      pattern: 'a/b',
      data: { x: 1 },
      id: '1',
    });
    expect(asNestPacket({ pattern: 'a/c', data: {}, id: '1' }, 'a/b')).toBeUndefined();
    expect(asNestPacket({ pattern: 'a/b', data: {} }, 'a/b')).toBeUndefined();
    expect(asNestPacket([1], 'a/b')).toBeUndefined();
  });
});
