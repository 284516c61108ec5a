import { Redis } from 'ioredis';
import { openTestRedis, REDIS_URL, type TestRedis } from '@mqgw/testing';
import { RedisCircuitBreaker } from './redis-circuit.breaker';
import type { Permit, Transition } from './breaker.types';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const closedPermit: Permit = { allowed: true, probe: false };

describe('RedisCircuitBreaker (real Redis, two instances)', () => {
  let t: TestRedis;
  let otherRedis: Redis;
  let a: RedisCircuitBreaker;
  let b: RedisCircuitBreaker;
  let transitions: Transition[];

  beforeEach(async () => {
    t = await openTestRedis('breaker');
    otherRedis = new Redis(REDIS_URL);
    transitions = [];
    const options = {
      failureThreshold: 5,
      recoveryMs: 300,
      halfOpenProbes: 1,
      keyPrefix: t.prefix,
      onTransition: (tr: Transition) => transitions.push(tr),
    };
    a = new RedisCircuitBreaker(t.redis, options);
    b = new RedisCircuitBreaker(otherRedis, options);
    await a.start();
    await b.start();
  });
  afterEach(async () => {
    await a.stop();
    await b.stop();
    otherRedis.disconnect();
    await t.close();
  });

  it('opens after exactly N consecutive failures counted across instances', async () => {
    for (let i = 0; i < 4; i++) await (i % 2 ? a : b).record('svc', false, closedPermit);
    expect((await a.snapshot('svc')).state).toBe('closed');
    await a.record('svc', false, closedPermit);
    expect((await b.snapshot('svc')).state).toBe('open');
    expect(transitions).toEqual([{ service: 'svc', from: 'closed', to: 'open' }]);
    const permit = await b.acquire('svc');
    expect(permit.allowed).toBe(false);
    expect(!permit.allowed && permit.retryAfterMs).toBeGreaterThan(0);
  });

  it('resets the count on a success, and counts concurrent failures once each', async () => {
    for (let i = 0; i < 4; i++) await a.record('svc', false, closedPermit);
    await b.record('svc', true, closedPermit);
    expect((await a.snapshot('svc')).failures).toBe(0);
    await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).record('svc', false, closedPermit)),
    );
    expect((await a.snapshot('svc')).state).toBe('open');
    expect(transitions.filter((tr) => tr.to === 'open')).toHaveLength(1);
  });

  it('lets exactly one probe through under 50 concurrent requests when half-open', async () => {
    for (let i = 0; i < 5; i++) await a.record('svc', false, closedPermit);
    await sleep(350);
    const permits = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).acquire('svc')),
    );
    const probes = permits.filter((p) => p.allowed);
    expect(probes).toEqual([{ allowed: true, probe: true }]);
    expect((await a.snapshot('svc')).state).toBe('half_open');
  });

  it('closes on a successful probe, reopens on a failed one', async () => {
    for (let i = 0; i < 5; i++) await a.record('svc', false, closedPermit);
    await sleep(350);
    const first = await a.acquire('svc');
    await a.record('svc', false, first);
    expect((await a.snapshot('svc')).state).toBe('open');
    await sleep(350);
    const second = await b.acquire('svc');
    await b.record('svc', true, second);
    expect((await a.snapshot('svc')).state).toBe('closed');
    expect(await a.acquire('svc')).toEqual({ allowed: true, probe: false });
    expect(transitions.map((tr) => `${tr.from}>${tr.to}`)).toEqual([
      'closed>open',
      'open>half_open',
      'half_open>open',
      'open>half_open',
      'half_open>closed',
    ]);
  });

  it('costs no Redis round trip for successes on a healthy circuit it has seen recently', async () => {
    await a.acquire('svc');
    const scripts = t.redis as unknown as Record<'breakerAcquire' | 'breakerRecord', () => unknown>;
    const acquire = jest.spyOn(scripts, 'breakerAcquire');
    const record = jest.spyOn(scripts, 'breakerRecord');
    for (let i = 0; i < 20; i++) {
      const permit = await a.acquire('svc');
      await a.record('svc', true, permit);
    }
    expect(acquire).not.toHaveBeenCalled();
    expect(record).not.toHaveBeenCalled();
    await a.record('svc', false, closedPermit);
    expect(record).toHaveBeenCalledTimes(1);
  });

  it('hears about a circuit another instance opened', async () => {
    expect(await a.acquire('svc')).toEqual({ allowed: true, probe: false });
    for (let i = 0; i < 5; i++) await b.record('svc', false, closedPermit);
    await sleep(100);
    expect((await a.acquire('svc')).allowed).toBe(false);
  });
});
