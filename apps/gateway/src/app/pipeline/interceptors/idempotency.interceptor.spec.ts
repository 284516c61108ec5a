import { GatewayError } from '@mqgw/contracts';
import { InMemoryKvStore, type KvStore } from '@mqgw/store';
import { pipelineConfig, requestFor } from '../testing/pipeline.fixtures';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { IdempotencyStore } from './idempotency.store';

describe('IdempotencyInterceptor', () => {
  const config = pipelineConfig();
  const keyed = (key: string, principal = 'user:a') => {
    const req = requestFor('t/write', { 'idempotency-key': key });
    req.principal = { id: principal, kind: 'user', userId: principal, scopes: [] };
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
    const first = await step.around(keyed('k1'), { a: 1 }, handler);
    const again = await step.around(keyed('k1'), { a: 1 }, handler);
    expect(again).toEqual(first);
    expect(calls).toBe(1);
  });

  it('keeps principals apart: the same key from another principal runs again', async () => {
    await step.around(keyed('k1', 'user:a'), {}, handler);
    await step.around(keyed('k1', 'user:b'), {}, handler);
    expect(calls).toBe(2);
  });

  it('makes concurrent duplicates wait for the first', async () => {
    const replies = await Promise.all(
      Array.from({ length: 5 }, () => step.around(keyed('k2'), {}, handler)),
    );
    expect(new Set(replies.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(calls).toBe(1);
  });

  it('refuses the same key for a different request with UNPROCESSABLE_ENTITY', async () => {
    await step.around(keyed('k3'), { a: 1 }, handler);
    await expect(step.around(keyed('k3'), { a: 2 }, handler)).rejects.toMatchObject({
      code: 'UNPROCESSABLE_ENTITY',
    });
  });

  it('forgets a 5xx outcome, so a retry with the same key runs', async () => {
    await expect(
      step.around(keyed('k4'), {}, async () => {
        throw new GatewayError('UPSTREAM_ERROR', 'down', { reason: 'status' });
      }),
    ).rejects.toMatchObject({ code: 'UPSTREAM_ERROR' });
    await step.around(keyed('k4'), {}, handler);
    expect(calls).toBe(1);
  });

  it('refuses a malformed key, and fails closed without its store', async () => {
    await expect(step.around(keyed('bad key'), {}, handler)).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    const down = {
      putBounded: () => Promise.reject(new Error('down')),
    } as unknown as KvStore;
    const blind = new IdempotencyInterceptor(new IdempotencyStore(down, config), config);
    await expect(blind.around(keyed('k5'), {}, handler)).rejects.toMatchObject({
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
    await small.around(keyed('a'), {}, handler);
    await small.around(keyed('b'), {}, handler);
    await expect(small.around(keyed('c'), {}, handler)).rejects.toMatchObject({
      code: 'RATE_LIMITED',
    });
    // A key already held still replays, and another principal has room of its own.
    await expect(small.around(keyed('a'), {}, handler)).resolves.toBeDefined();
    await small.around(keyed('c', 'user:b'), {}, handler);
    expect(calls).toBe(3);
  });

  it('passes a request without a key straight through', async () => {
    await step.around(requestFor('t/write'), {}, handler);
    await step.around(requestFor('t/write'), {}, handler);
    expect(calls).toBe(2);
  });
});
