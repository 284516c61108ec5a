import {
  Inject,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { Observable } from 'rxjs';
import { GatewayError, isReservedHeader } from '@mqgw/contracts';
import { PIPELINE_CONFIG, type PipelineConfig } from '../pipeline.config';
import { requestOf } from '../pipeline-step';

/** A value a service can receive as it was sent: printable ASCII, spaces and tabs. */
const SENDABLE_VALUE = /^[\t\x20-\x7e]*$/;

/**
 * `forwardHeaders`: passes the client headers (MQTT 5 user properties) that
 * `FORWARD_HEADERS` allows to the service, and nothing else: identity and proxy headers are
 * the gateway's to write, whatever the list says. A value that cannot be sent as an HTTP
 * header is the caller's BAD_REQUEST here, before it could fail (and count) upstream.
 */
@Injectable()
export class ForwardHeadersInterceptor implements NestInterceptor {
  constructor(@Inject(PIPELINE_CONFIG) private readonly config: PipelineConfig) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = requestOf(context);
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
      req.forwarded.set(name, value);
    }
    return next.handle();
  }
}
