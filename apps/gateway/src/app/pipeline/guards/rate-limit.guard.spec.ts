import { FailoverLimiter, InMemorySlidingWindowLimiter, type RateLimiter } from '@mqgw/rate-limit';
import { contextFor, pipelineConfig, requestFor } from '../testing/pipeline.fixtures';
import { RateLimitGuard } from './rate-limit.guard';

describe('RateLimitGuard', () => {
  const config = pipelineConfig({ RATE_LIMIT_MAX: '2', GATEWAY_RATE_LIMIT_MAX: '1' });
  const as = (id: string, topic = 't/write') => {
    const req = requestFor(topic);
    if (id !== 'anonymous') req.identify({ id, kind: 'user', userId: id, scopes: [] });
    return contextFor(req);
  };

  it('lets each principal through up to its limit, then RATE_LIMITED with retry_after', async () => {
    const guard = new RateLimitGuard(new InMemorySlidingWindowLimiter(), config);
    expect(await guard.canActivate(as('user:a'))).toBe(true);
    expect(await guard.canActivate(as('user:a'))).toBe(true);
    await expect(guard.canActivate(as('user:a'))).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      retryAfter: expect.any(Number),
    });
    // Another principal has a bucket of its own.
    expect(await guard.canActivate(as('user:b'))).toBe(true);
  });

  it('counts anonymous callers in one bucket with the gateway group limit', async () => {
    const guard = new RateLimitGuard(new InMemorySlidingWindowLimiter(), config);
    expect(await guard.canActivate(as('anonymous'))).toBe(true);
    await expect(guard.canActivate(as('anonymous'))).rejects.toMatchObject({
      code: 'RATE_LIMITED',
    });
  });

  it('answers SERVICE_UNAVAILABLE when the limiter fails closed', async () => {
    const down: RateLimiter = {
      consume: () => Promise.reject(new Error('redis down')),
    };
    const guard = new RateLimitGuard(new FailoverLimiter(down, 'closed', () => undefined), config);
    await expect(guard.canActivate(as('user:a'))).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      message: 'rate limiter unavailable',
    });
  });

  it('refuses a spent bucket without asking the limiter again until a slot frees up', async () => {
    const inner = new InMemorySlidingWindowLimiter();
    let asked = 0;
    const counting: RateLimiter = {
      consume: (bucket, limit) => {
        asked++;
        return inner.consume(bucket, limit);
      },
    };
    const guard = new RateLimitGuard(counting, config);
    await guard.canActivate(as('user:a'));
    await guard.canActivate(as('user:a'));
    for (let i = 0; i < 50; i++) {
      await expect(guard.canActivate(as('user:a'))).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    }
    expect(asked).toBe(3);
    // Others still reach the limiter.
    expect(await guard.canActivate(as('user:b'))).toBe(true);
    expect(asked).toBe(4);
  });
});
