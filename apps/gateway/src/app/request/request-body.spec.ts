import { GatewayError } from '@mqgw/contracts';
import { decodeBody, jsonDepth, parseBody, requireObject } from './request-body';

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

describe('decodeBody', () => {
  it('decodes a raw body on its size, and takes one read out of an envelope as it is', () => {
    const raw = (text: string, maxBytes = 100) => ({ raw: Buffer.from(text), maxBytes });
    expect(decodeBody(raw('{"a":1}'))).toEqual({ a: 1 });
    expect(code(() => decodeBody(raw('{"a":"' + 'x'.repeat(200) + '"}')))).toBe(
      'PAYLOAD_TOO_LARGE: payload exceeds 100 bytes',
    );
    expect(decodeBody({ value: { b: 2 } })).toEqual({ b: 2 });
    expect(code(() => decodeBody({ value: 'text' }))).toBe(
      'BAD_REQUEST: payload must be a JSON object',
    );
  });
});
