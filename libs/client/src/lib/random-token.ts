/**
 * Random hex from the platform's CSPRNG (`crypto.getRandomValues`, in Node 20 and every
 * browser, secure context or not): unguessable correlation ids and idempotency keys.
 */
export function randomToken(bytes = 16): string {
  const values = new Uint8Array(bytes);
  globalThis.crypto.getRandomValues(values);
  let out = '';
  for (const value of values) out += value.toString(16).padStart(2, '0');
  return out;
}
