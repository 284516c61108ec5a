import { InMemoryCircuitBreaker, type CircuitBreaker } from '@mqgw/breaker';
import { GatewayError } from '@mqgw/contracts';
import { requestFor, through } from '../testing/pipeline.fixtures';
import { BreakerInterceptor } from './breaker.interceptor';

describe('BreakerInterceptor', () => {
  let now = 0;
  const breaker = () =>
    new InMemoryCircuitBreaker({
      failureThreshold: 2,
      recoveryMs: 1000,
      halfOpenProbes: 1,
      now: () => now,
    });
  const fail = (reason: 'status' | 'invalid_request' | 'rejected') => async () => {
    const code =
      reason === 'status' ? 'UPSTREAM_ERROR' : reason === 'rejected' ? 'NOT_FOUND' : 'BAD_REQUEST';
    throw new GatewayError(code, 'x', { reason });
  };
  const call = (step: BreakerInterceptor, next: () => Promise<unknown>) =>
    through(step, requestFor('t/write'), next);

  beforeEach(() => (now = 0));

  it('opens after consecutive service failures and refuses at once with retry_after', async () => {
    const step = new BreakerInterceptor(breaker());
    for (let i = 0; i < 2; i++) await expect(call(step, fail('status'))).rejects.toThrow();
    let reached = false;
    await expect(
      call(step, async () => {
        reached = true;
      }),
    ).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', reason: 'circuit_open', retryAfter: 1 });
    expect(reached).toBe(false);
  });

  it('never counts an error the caller caused, and counts a 4xx answer as a sign of life', async () => {
    const state = breaker();
    const step = new BreakerInterceptor(state);
    await expect(call(step, fail('status'))).rejects.toThrow();
    // A flood of unsendable requests neither opens the circuit nor resets its count...
    for (let i = 0; i < 10; i++)
      await expect(call(step, fail('invalid_request'))).rejects.toThrow();
    expect(await state.snapshot('svc')).toMatchObject({ state: 'closed', failures: 1 });
    // ...while a 4xx answer from the service does reset it.
    await expect(call(step, fail('rejected'))).rejects.toThrow();
    expect(await state.snapshot('svc')).toMatchObject({ state: 'closed', failures: 0 });
  });

  it('gives a half-open probe back when the probe proved nothing, so the next call probes', async () => {
    const state = breaker();
    const step = new BreakerInterceptor(state);
    for (let i = 0; i < 2; i++) await expect(call(step, fail('status'))).rejects.toThrow();
    now = 1500;
    await expect(call(step, fail('invalid_request'))).rejects.toThrow();
    await expect(call(step, async () => 'ok')).resolves.toBe('ok');
    expect((await state.snapshot('svc')).state).toBe('closed');
  });

  it('lets calls through when its store fails (fail open)', async () => {
    const broken: CircuitBreaker = {
      acquire: () => Promise.reject(new Error('redis down')),
      record: () => Promise.reject(new Error('redis down')),
      release: () => Promise.reject(new Error('redis down')),
      snapshot: () => Promise.reject(new Error('redis down')),
    };
    await expect(call(new BreakerInterceptor(broken), async () => 'ok')).resolves.toBe('ok');
  });
});
