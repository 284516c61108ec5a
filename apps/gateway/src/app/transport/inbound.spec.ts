import { GatewayError } from '@mqgw/contracts';
import { MAX_HEADERS, asNestPacket, readHeaders } from './inbound';

const code = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    return `${(error as GatewayError).code}: ${(error as GatewayError).message}`;
  }
};

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
