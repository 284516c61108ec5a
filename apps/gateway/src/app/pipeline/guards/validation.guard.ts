import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { GatewayError } from '@mqgw/contracts';
import { ContractViolations } from '../../observability/contract-violations';
import { requestOf } from '../pipeline-step';

/**
 * `validate`, on every route: decodes the body (size, UTF-8, JSON, an object) and checks it
 * against the route's request schema (the routes file's `request`, compiled once per table
 * by `libs/routes`). A body the caller got wrong is `BAD_REQUEST` (or `PAYLOAD_TOO_LARGE`),
 * listing each schema violation as a JSON pointer and a message, and the service never sees
 * it. After `auth` and `admission`, so that the refusal reaches an authenticated caller's
 * own reply space and a refused request costs no decode; before `rateLimit`, the first step
 * that costs a Redis round trip.
 */
@Injectable()
export class ValidationGuard implements CanActivate {
  constructor(private readonly violations: ContractViolations) {}

  canActivate(context: ExecutionContext): boolean {
    const req = requestOf(context);
    const body = req.body();
    const found = req.route.contract?.validateRequest(body) ?? [];
    if (found.length === 0) return true;
    this.violations.request(req.route.template);
    const [first] = found;
    const more = found.length > 1 ? ` (and ${found.length - 1} more)` : '';
    throw new GatewayError(
      'BAD_REQUEST',
      `the body does not match the request schema: ${first.pointer || '(body)'} ${first.message}${more}`,
      { details: { violations: found }, reason: 'invalid_request' },
    );
  }
}
