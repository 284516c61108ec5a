import { Injectable } from '@nestjs/common';
import { GatewayError } from '@mqgw/contracts';
import { ContractViolations } from '../observability/contract-violations';
import type { GatewayRequest } from '../request/gateway-request';

/**
 * A service's success reply against the route's reply schema, as the route's reply
 * validation says: `off` checks nothing; `warn` and `enforce` count and log a reply that
 * breaks it, and `enforce` also refuses it with `UPSTREAM_ERROR` (reason `contract`). That
 * is the service's fault, never the caller's; see `classifyFailure`. The client learns only
 * that the reply broke the contract: what the service sent stays in the gateway's log.
 */
@Injectable()
export class ReplyContract {
  constructor(private readonly violations: ContractViolations) {}

  check(req: GatewayRequest, service: string, data: unknown): void {
    const contract = req.route.contract;
    if (!contract || contract.replyValidation === 'off') return;
    const violations = contract.validateReply(data);
    if (violations.length === 0) return;
    this.violations.reply(req.route.template, service, req, violations);
    if (contract.replyValidation === 'enforce') {
      throw new GatewayError('UPSTREAM_ERROR', `${service} answered outside its contract`, {
        details: { reason: 'contract' },
        reason: 'contract',
      });
    }
  }
}
