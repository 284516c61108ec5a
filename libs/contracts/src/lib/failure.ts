import { isGatewayError } from './gateway-error';

/** What a failure means for the gateway's decisions; the one place they are made. */
export interface FailureClass {
  /** The caller's own doing (input, credentials, limits, scopes): never a service's fault. */
  callerFault: boolean;
  /** Counts against the service's circuit breaker. */
  serviceFailure: boolean;
  /** The service answered (a 4xx): evidence that it is up, which a breaker counts as success. */
  serviceAnswered: boolean;
  /** A stale copy or a fallback service may answer instead: the service is unavailable, not wrong. */
  fallbackEligible: boolean;
  /**
   * Whether the gateway may send the call once more, to another instance: `always` when
   * nothing reached the service, `if-idempotent` when it may have, `never` otherwise.
   */
  retry: 'always' | 'if-idempotent' | 'never';
  /** The attempt cost the service nothing, so a retry needs no share of the retry budget. */
  retryIsFree: boolean;
}

const NOT_A_SERVICE_FAILURE: FailureClass = {
  callerFault: false,
  serviceFailure: false,
  serviceAnswered: false,
  fallbackEligible: false,
  retry: 'never',
  retryIsFree: false,
};

/**
 * Classifies anything thrown while serving a request. Anything that is not a `GatewayError`
 * is a bug in the gateway: it is nobody else's fault and changes no state.
 */
export function classifyFailure(error: unknown): FailureClass {
  if (!isGatewayError(error)) return NOT_A_SERVICE_FAILURE;
  if (error.statusCode < 500 || error.reason === 'invalid_request') {
    return {
      ...NOT_A_SERVICE_FAILURE,
      callerFault: true,
      serviceAnswered: error.reason === 'rejected',
    };
  }
  switch (error.reason) {
    case 'refused':
      return { ...serviceDown, retry: 'always', retryIsFree: true };
    case 'stale':
      return { ...serviceDown, retry: 'if-idempotent', retryIsFree: true };
    case 'lost':
      return { ...serviceDown, retry: 'if-idempotent' };
    case 'timeout':
    case 'status':
    case 'unusable':
      return serviceDown;
    case 'too_large':
      // The service answered, and is up; its answer is just more than may be passed on.
      return { ...NOT_A_SERVICE_FAILURE, serviceAnswered: true };
    case 'contract':
      // The service answered, and is up, but not as its contract says: a deploy that does
      // not match the routes file. Not the caller's fault; opening the circuit would also
      // stop the service's routes that keep their contract; the same call would break it
      // again, so no retry; and a fallback would hide the mismatch.
      return { ...NOT_A_SERVICE_FAILURE, serviceAnswered: true };
    case 'no_instance':
    case 'circuit_open':
    case 'service_at_limit':
      // Nothing was called: nothing to count, but a fallback may still answer.
      return { ...NOT_A_SERVICE_FAILURE, fallbackEligible: true };
    default:
      return NOT_A_SERVICE_FAILURE;
  }
}

const serviceDown: FailureClass = {
  callerFault: false,
  serviceFailure: true,
  serviceAnswered: false,
  fallbackEligible: true,
  retry: 'never',
  retryIsFree: false,
};
