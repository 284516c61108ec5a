import { MAX_ATTRIBUTE_CHARS, REDACTED, isSecretName, safeAttributes } from './safe-attributes';

describe('safeAttributes', () => {
  it('keeps the names the spans are made of', () => {
    const kept = {
      'messaging.system': 'mqtt',
      'messaging.destination.template': 'orders/{id}',
      'http.request.method': 'GET',
      'http.response.status_code': 200,
      'url.full': 'http://127.0.0.1:3001/orders/1',
      'mqgw.auth.method': 'jwt',
      'mqgw.outcome': 'success',
    };
    expect(safeAttributes(kept)).toEqual(kept);
  });

  it.each([
    'token',
    'auth.token',
    'jwt',
    'api_key',
    'mqgw.api-key',
    'idempotency.key',
    'client_secret',
    'password',
    'http.request.header.authorization',
    'cookie',
    'messaging.message.body',
    'payload',
    'credentials',
  ])('drops %s, whatever its value', (name) => {
    expect(safeAttributes({ [name]: 'anything' })).toEqual({});
    expect(isSecretName(name)).toBe(true);
  });

  it('redacts a value that looks like a credential under any name', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJl';
    expect(safeAttributes({ 'mqgw.note': jwt, other: 'Bearer abc', basic: 'Basic dTpw' })).toEqual({
      'mqgw.note': REDACTED,
      other: REDACTED,
      basic: REDACTED,
    });
  });

  it('clips long strings and leaves out undefined values', () => {
    const safe = safeAttributes({ 'url.full': 'x'.repeat(10_000), absent: undefined });
    expect(safe).toEqual({ 'url.full': 'x'.repeat(MAX_ATTRIBUTE_CHARS) });
  });
});
