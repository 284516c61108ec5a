import { Injectable, type ExecutionContext } from '@nestjs/common';
import { GatewayError } from '@mqgw/contracts';
import { ContractViolations } from '../../observability/contract-violations';
import type { GatewayRequest } from '../../request/gateway-request';
import { PipelineGuard } from '../pipeline-step';

/**
 * `validate`: the body must match the route's request schema (the routes file's `request`,
 * compiled once per table by `libs/routes`), or the request is `BAD_REQUEST` listing each
 * violation as a JSON pointer and a message, and the service never sees it. After `auth`,
 * so an authenticated caller gets the refusal in its own reply space; before `rateLimit`,
 * the first step that costs a Redis round trip, so an invalid body costs no I/O at all.
 */
@Injectable()
export class ValidationGuard extends PipelineGuard {
  readonly step = 'validate' as const;

  constructor(private readonly violations: ContractViolations) {
    super();
  }

  /** Like every step's, but this one reads the body, which `check` is not given. */
  override canActivate(context: ExecutionContext): boolean {
    const rpc = context.switchToRpc();
    const req = rpc.getContext<GatewayRequest>();
    if (!req.route.middleware.has(this.step)) return true;
    return this.checkBody(req, rpc.getData<unknown>());
  }

  protected check(): boolean {
    throw new Error('ValidationGuard checks the body in canActivate');
  }

  private checkBody(req: GatewayRequest, body: unknown): boolean {
    const violations = req.route.contract?.validateRequest(body) ?? [];
    if (violations.length === 0) return true;
    this.violations.request(req.route.template);
    const [first] = violations;
    const more = violations.length > 1 ? ` (and ${violations.length - 1} more)` : '';
    throw new GatewayError(
      'BAD_REQUEST',
      `the body does not match the request schema: ${first.pointer || '(body)'} ${first.message}${more}`,
      { details: { violations }, reason: 'invalid_request' },
    );
  }
}
