import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { requestOf } from '../pipeline-step';

/**
 * `validate`, on every route: decodes the body (size, UTF-8, JSON, an object), so that a
 * body the caller got wrong is refused, `BAD_REQUEST` or `PAYLOAD_TOO_LARGE`, before the
 * rate limiter's round trip or a service call, and once the caller is known, so that the
 * refusal reaches its own reply space.
 */
@Injectable()
export class ValidationGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    requestOf(context).body();
    return true;
  }
}
