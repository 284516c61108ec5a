import { GatewayError, type ErrorReply } from '@mqgw/contracts';
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

  describe('bytes in the store', () => {
    const echoed = `property ${'a'.repeat(95_000)} should not exist`;
    const refused = async () => {
      calls++;
      throw new GatewayError('BAD_REQUEST', echoed, {
        reason: 'rejected',
        details: { statusCode: 400, message: [echoed], error: 'Bad Request' },
      });
    };
    const bounded = pipelineConfig({
      IDEMPOTENCY_MAX_BYTES: '40000',
      IDEMPOTENCY_MAX_RECORD_BYTES: '8000',
    });
    let kv: InMemoryKvStore;
    let small: IdempotencyInterceptor;
    const usage = (principal = 'user:a') => kv.boundedUsage(`idempotency:{${principal}}:index`);
    beforeEach(() => {
      kv = new InMemoryKvStore();
      small = new IdempotencyInterceptor(new IdempotencyStore(kv, bounded), bounded);
    });

    it('keeps a large error reply as its status, code and clipped message', async () => {
      const first = await through(small, keyed('e1'), refused).catch((e: unknown) => e);
      expect(first).toMatchObject({ code: 'BAD_REQUEST' });
      const again = (await through(small, keyed('e1'), refused)) as ErrorReply;
      expect(calls).toBe(1);
      expect(again).toMatchObject({
        status: 'error',
        status_code: 400,
        error: { code: 'BAD_REQUEST' },
        request_id: 'req-1',
      });
      expect(again.error.message.length).toBeLessThan(600);
      expect(again.error.details).toBeUndefined();
      expect((await usage()).bytes).toBeLessThan(8000);
    });

    it('keeps a success reply too large to store as the fact that it ran', async () => {
      const large = async () => ({
        status: 'success',
        data: { blob: 'x'.repeat(10_000), n: ++calls },
        request_id: 'first',
      });
      expect(await through(small, keyed('s1'), large)).toMatchObject({ status: 'success' });
      expect(await through(small, keyed('s1'), large)).toMatchObject({
        status: 'error',
        status_code: 409,
        error: { code: 'CONFLICT', details: { request_id: 'first' } },
        request_id: 'first',
      });
      await expect(
        through(small, keyed('s1', 'user:a', { other: 1 }), large),
      ).rejects.toMatchObject({
        code: 'UNPROCESSABLE_ENTITY',
      });
      expect(calls).toBe(1);
    });

    it('holds one principal under IDEMPOTENCY_MAX_BYTES, whatever it sends', async () => {
      const codes: string[] = [];
      for (let i = 0; i < 40; i++) {
        const outcome = await through(small, keyed(`f${i}`), refused).catch((e) => e);
        codes.push((outcome as GatewayError).code);
      }
      expect(codes.filter((c) => c === 'BAD_REQUEST').length).toBeGreaterThan(10);
      expect(codes.slice(-5)).toEqual(Array(5).fill('RATE_LIMITED'));
      expect((await usage()).bytes).toBeLessThanOrEqual(40_000);
      // Another principal is not affected.
      await through(small, keyed('f0', 'user:b'), handler);
      expect((await usage('user:b')).keys).toBe(1);
    });

    it('gives the room of a released claim back', async () => {
      const failing = async () => {
        throw new GatewayError('UPSTREAM_ERROR', 'down', { reason: 'status' });
      };
      for (let i = 0; i < 10; i++) {
        await through(small, keyed(`r${i}`), failing).catch(() => undefined);
      }
      expect(await usage()).toEqual({ keys: 0, bytes: 0 });
    });
  });

  it('passes a request without a key straight through', async () => {
    await through(step, requestFor('t/write'), handler);
    await through(step, requestFor('t/write'), handler);
    expect(calls).toBe(2);
  });
});
