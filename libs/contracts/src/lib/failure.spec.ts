import { classifyFailure } from './failure';
import { GatewayError } from './gateway-error';

describe('classifyFailure', () => {
  it.each([
    ['a refused connection', 'UPSTREAM_ERROR', 'refused', [false, true, true, 'always', true]],
    [
      'a stale pooled connection',
      'UPSTREAM_ERROR',
      'stale',
      [false, true, true, 'if-idempotent', true],
    ],
    [
      'a connection lost mid-call',
      'UPSTREAM_ERROR',
      'lost',
      [false, true, true, 'if-idempotent', false],
    ],
    ['a 5xx answer', 'UPSTREAM_ERROR', 'status', [false, true, true, 'never', false]],
    [
      'a reply that breaks its schema',
      'UPSTREAM_ERROR',
      'contract',
      [false, false, false, 'never', false],
    ],
    ['a timeout', 'GATEWAY_TIMEOUT', 'timeout', [false, true, true, 'never', false]],
    [
      'no live instance',
      'SERVICE_UNAVAILABLE',
      'no_instance',
      [false, false, true, 'never', false],
    ],
    [
      'an open circuit',
      'SERVICE_UNAVAILABLE',
      'circuit_open',
      [false, false, true, 'never', false],
    ],
    [
      'a header the caller made unsendable',
      'BAD_REQUEST',
      'invalid_request',
      [true, false, false, 'never', false],
    ],
    ['an upstream 404', 'NOT_FOUND', undefined, [true, false, false, 'never', false]],
    ['a rate limit', 'RATE_LIMITED', undefined, [true, false, false, 'never', false]],
    [
      'an overloaded gateway',
      'SERVICE_UNAVAILABLE',
      undefined,
      [false, false, false, 'never', false],
    ],
  ] as const)('%s', (_what, code, reason, expected) => {
    const failure = classifyFailure(new GatewayError(code, 'x', { reason }));
    expect([
      failure.callerFault,
      failure.serviceFailure,
      failure.fallbackEligible,
      failure.retry,
      failure.retryIsFree,
    ]).toEqual(expected);
  });

  it('takes an upstream 4xx as the caller’s fault and as a sign the service is up', () => {
    expect(
      classifyFailure(new GatewayError('NOT_FOUND', 'x', { reason: 'rejected' })),
    ).toMatchObject({
      callerFault: true,
      serviceFailure: false,
      serviceAnswered: true,
    });
    expect(
      classifyFailure(new GatewayError('BAD_REQUEST', 'x', { reason: 'invalid_request' })),
    ).toMatchObject({ callerFault: true, serviceAnswered: false });
  });

  it('takes a reply that breaks its contract as the service’s answer, not the caller’s fault', () => {
    expect(
      classifyFailure(new GatewayError('UPSTREAM_ERROR', 'x', { reason: 'contract' })),
    ).toEqual({
      callerFault: false,
      serviceFailure: false,
      serviceAnswered: true,
      fallbackEligible: false,
      retry: 'never',
      retryIsFree: false,
    });
  });

  it('treats anything that is not a GatewayError as nobody else’s fault', () => {
    expect(classifyFailure(new Error('bug'))).toMatchObject({
      callerFault: false,
      serviceFailure: false,
      fallbackEligible: false,
    });
  });

  it('never lets a caller-caused error count against a service, whatever its code', () => {
    const unsendable = new GatewayError('UPSTREAM_ERROR', 'x', { reason: 'invalid_request' });
    expect(classifyFailure(unsendable)).toMatchObject({ callerFault: true, serviceFailure: false });
  });
});
