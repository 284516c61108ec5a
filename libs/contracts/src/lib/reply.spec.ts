import { GatewayError } from './gateway-error';
import { isErrorReply, toErrorReply } from './reply';
import { codeForUpstreamStatus } from './error-code';

describe('toErrorReply', () => {
  it('keeps the code, status, details and retry_after of a GatewayError', () => {
    const reply = toErrorReply(
      new GatewayError('RATE_LIMITED', 'too many requests', { retryAfter: 7, details: { a: 1 } }),
      'req-1',
    );
    expect(reply).toEqual({
      status: 'error',
      status_code: 429,
      error: {
        code: 'RATE_LIMITED',
        message: 'too many requests',
        retry_after: 7,
        details: { a: 1 },
      },
      request_id: 'req-1',
    });
    expect(isErrorReply(reply)).toBe(true);
  });

  it('passes an upstream status through with its own code', () => {
    const reply = toErrorReply(
      new GatewayError(codeForUpstreamStatus(418), 'upstream said no', { statusCode: 418 }),
      'r',
    );
    expect(reply.status_code).toBe(418);
    expect(reply.error.code).toBe('BAD_REQUEST');
    expect(codeForUpstreamStatus(409)).toBe('CONFLICT');
  });

  it('clips a long message and leaves the details whole', () => {
    const echoed = `property ${'a'.repeat(95_000)} should not exist`;
    const reply = toErrorReply(
      new GatewayError('BAD_REQUEST', echoed, { details: { message: [echoed] } }),
      'r',
    );
    expect(reply.error.message.length).toBeLessThan(600);
    expect(reply.error.details).toEqual({ message: [echoed] });
  });

  it('hides anything that is not a GatewayError behind INTERNAL_ERROR', () => {
    const reply = toErrorReply(new Error('secret at /srv/app.js:12'), 'r');
    expect(reply.status_code).toBe(500);
    expect(reply.error).toEqual({ code: 'INTERNAL_ERROR', message: 'internal error' });
    expect(JSON.stringify(reply)).not.toContain('secret');
  });
});
