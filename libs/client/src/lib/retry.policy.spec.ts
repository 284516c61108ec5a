import { ERROR_STATUS } from '@mqgw/contracts';
import { isRetryableReply, isRetryableTimeout, retryDelayMs } from './retry.policy';
import { ERROR_CODES, type ErrorCode, type ErrorReply } from './wire.types';

const reply = (code: ErrorCode, extra: Partial<ErrorReply['error']> = {}): ErrorReply => ({
  status: 'error',
  status_code: ERROR_STATUS[code],
  error: { code, message: 'x', ...extra },
  request_id: 'r',
});
const unsafe = { safe: false, keyed: false };
const keyed = { safe: false, keyed: true };
const safe = { safe: true, keyed: false };

describe('the retry policy', () => {
  it('knows every code the gateway sends', () => {
    expect([...ERROR_CODES].sort()).toEqual(Object.keys(ERROR_STATUS).sort());
  });

  it('retries whatever says when a retry may succeed, key or not', () => {
    for (const code of ['RATE_LIMITED', 'SERVICE_UNAVAILABLE', 'CONFLICT'] as const) {
      expect(isRetryableReply(reply(code, { retry_after: 1 }), unsafe)).toBe(true);
    }
  });

  it('retries a 502, 503 or 504 only where running twice is harmless', () => {
    for (const code of ['UPSTREAM_ERROR', 'SERVICE_UNAVAILABLE', 'GATEWAY_TIMEOUT'] as const) {
      expect([
        isRetryableReply(reply(code), unsafe),
        isRetryableReply(reply(code), keyed),
        isRetryableReply(reply(code), safe),
      ]).toEqual([false, true, true]);
    }
  });

  it('never retries a refusal, a bug, or a reply that broke its contract', () => {
    for (const code of ERROR_CODES.filter((c) => ERROR_STATUS[c] < 500 || c === 'INTERNAL_ERROR')) {
      expect([code, isRetryableReply(reply(code), safe)]).toEqual([code, false]);
    }
    expect(
      isRetryableReply(reply('UPSTREAM_ERROR', { details: { reason: 'contract' } }), safe),
    ).toBe(false);
  });

  it('sends an unanswered request again only where that is harmless', () => {
    expect([
      isRetryableTimeout(unsafe),
      isRetryableTimeout(keyed),
      isRetryableTimeout(safe),
    ]).toEqual([false, true, true]);
  });

  it("waits the gateway's retry_after, else backs off exponentially with jitter", () => {
    expect(retryDelayMs(1, 3)).toBe(3000);
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, undefined, () => 1))).toEqual([
      100, 200, 400, 800,
    ]);
    expect(retryDelayMs(3, undefined, () => 0)).toBe(0);
  });
});
