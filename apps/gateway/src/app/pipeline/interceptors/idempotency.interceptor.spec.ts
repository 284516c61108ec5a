import { GatewayError } from '@mqgw/contracts';
import { InMemoryKvStore, type KvStore } from '@mqgw/store';
import { pipelineConfig, requestFor, through } from '../testing/pipeline.fixtures';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { IdempotencyStore } from './idempotency.store';

describe('IdempotencyInterceptor', () => {
  const config = pipelineConfig();
  const keyed = (key: string, principal = 'user:a', body: Record<string, unknown> = {}) => {
    const req = requestFor('t/write', { 'idempotency-key': key }, { body: { value: body } });
    req.identify({ id: principal, kind: 'user', userId: principal, scopes: [] });
    return req;
  };
  let step: IdempotencyInterceptor;
  let calls: number;
  const handler = async () => ({ status: 'success', data: { n: ++calls }, request_id: 'first' });

  beforeEach(() => {
    step = new IdempotencyInterceptor(new IdempotencyStore(new InMemoryKvStore(), config), config);
    calls = 0;
  });

  it('runs a keyed request once and answers a duplicate with the first reply', async () => {
    const first = await through(step, keyed('k1', 'user:a', { a: 1 }), handler);
    const again = await through(step, keyed('k1', 'user:a', { a: 1 }), handler);
    expect(again).toEqual(first);
    expect(calls).toBe(1);
  });

  it('keeps principals apart: the same key from another principal runs again', async () => {
    await through(step, keyed('k1', 'user:a'), handler);
    await through(step, keyed('k1', 'user:b'), handler);
    expect(calls).toBe(2);
  });

  it('makes concurrent duplicates wait for the first', async () => {
    const replies = await Promise.all(
      Array.from({ length: 5 }, () => through(step, keyed('k2'), handler)),
    );
    expect(new Set(replies.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(calls).toBe(1);
  });

  it('refuses the same key for a different request with UNPROCESSABLE_ENTITY', async () => {
    await through(step, keyed('k3', 'user:a', { a: 1 }), handler);
    await expect(through(step, keyed('k3', 'user:a', { a: 2 }), handler)).rejects.toMatchObject({
      code: 'UNPROCESSABLE_ENTITY',
    });
  });

  it('forgets a 5xx outcome, so a retry with the same key runs', async () => {
    await expect(
      through(step, keyed('k4'), async () => {
        throw new GatewayError('UPSTREAM_ERROR', 'down', { reason: 'status' });
      }),
    ).rejects.toMatchObject({ code: 'UPSTREAM_ERROR' });
    await through(step, keyed('k4'), handler);
    expect(calls).toBe(1);
  });

  it('refuses a malformed key, and fails closed without its store', async () => {
    await expect(through(step, keyed('bad key'), handler)).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    const down = {
      putBounded: () => Promise.reject(new Error('down')),
    } as unknown as KvStore;
    const blind = new IdempotencyInterceptor(new IdempotencyStore(down, config), config);
    await expect(through(blind, keyed('k5'), handler)).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
    });
    expect(calls).toBe(0);
  });

  it('lets one principal hold at most IDEMPOTENCY_MAX_KEYS records', async () => {
    const bounded = pipelineConfig({ IDEMPOTENCY_MAX_KEYS: '2' });
    const small = new IdempotencyInterceptor(
      new IdempotencyStore(new InMemoryKvStore(), bounded),
      bounded,
    );
    await through(small, keyed('a'), handler);
    await through(small, keyed('b'), handler);
    await expect(through(small, keyed('c'), handler)).rejects.toMatchObject({
      code: 'RATE_LIMITED',
    });
    // A key already held still replays, and another principal has room of its own.
    await expect(through(small, keyed('a'), handler)).resolves.toBeDefined();
    await through(small, keyed('c', 'user:b'), handler);
    expect(calls).toBe(3);
  });

  it('gives the service a key of its own, derived from principal and key', async () => {
    const a = keyed('k6', 'user:a');
    const b = keyed('k6', 'user:b');
    await through(step, a, handler);
    await through(step, b, handler);
    const keyOf = (req: typeof a) => req.forwarded.toObject()['idempotency-key'];
    expect(keyOf(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(keyOf(a)).not.toBe(keyOf(b));
    expect(keyOf(a)).not.toContain('k6');
  });

  it('passes a request without a key straight through', async () => {
    await through(step, requestFor('t/write'), handler);
    await through(step, requestFor('t/write'), handler);
    expect(calls).toBe(2);
  });
});
