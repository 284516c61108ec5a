import { Inject, Injectable } from '@nestjs/common';
import { GatewayError, isReservedHeader } from '@mqgw/contracts';
import type { GatewayRequest } from '../../request/gateway-request';
import { PIPELINE_CONFIG, type PipelineConfig } from '../pipeline.config';
import { PipelineInterceptor, type Next } from '../pipeline-step';

/** A value a service can receive as it was sent: printable ASCII, spaces and tabs. */
const SENDABLE_VALUE = /^[\t\x20-\x7e]*$/;

/**
 * `forwardHeaders`: passes the client headers (MQTT 5 user properties) that
 * `FORWARD_HEADERS` allows to the service, and nothing else: identity and proxy headers are
 * the gateway's to write, whatever the list says. A value that cannot be sent as an HTTP
 * header is the caller's BAD_REQUEST here, before it could fail (and count) upstream.
 */
@Injectable()
export class ForwardHeadersInterceptor extends PipelineInterceptor {
  readonly step = 'forwardHeaders' as const;

  constructor(@Inject(PIPELINE_CONFIG) private readonly config: PipelineConfig) {
    super();
  }

  async around(req: GatewayRequest, _body: unknown, next: Next): Promise<unknown> {
    const { names, prefixes } = this.config.forwardHeaders;
    for (const name in req.headers) {
      if (!names.has(name) && !prefixes.some((p) => name.startsWith(p))) continue;
      if (isReservedHeader(name)) continue;
      const value = req.headers[name];
      if (!SENDABLE_VALUE.test(value)) {
        throw new GatewayError('BAD_REQUEST', `header ${name} must be printable ASCII`, {
          reason: 'invalid_request',
        });
      }
      req.forwardHeaders[name] = value;
    }
    return next();
  }
}
