import { contextFor, pipelineConfig, requestFor } from '../testing/pipeline.fixtures';
import { OriginGuard } from './origin.guard';

describe('OriginGuard', () => {
  const guard = new OriginGuard(pipelineConfig({ ALLOWED_ORIGINS: 'https://app.example' }));
  const check = (headers: Record<string, string>) =>
    guard.canActivate(contextFor(requestFor('t/write', headers)));

  it('lets a non-browser client (no origin) and an allowed origin through', () => {
    expect(check({})).toBe(true);
    expect(check({ origin: 'https://app.example' })).toBe(true);
  });

  it('refuses any other origin with FORBIDDEN', () => {
    expect(() => check({ origin: 'https://evil.example' })).toThrow(
      expect.objectContaining({ code: 'FORBIDDEN', message: 'origin not allowed' }),
    );
  });

  it('allows every origin with *', () => {
    const open = new OriginGuard(pipelineConfig());
    expect(open.canActivate(contextFor(requestFor('t/write', { origin: 'https://x' })))).toBe(true);
  });
});
