import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { requestOf } from '../pipeline-step';
import { AdmissionControl } from './admission-control';

/**
 * `admission`, on every route: refuses, cheaply and typed, a request whose deadline has
 * passed and one the gateway has no room for (`AdmissionControl`), before it costs a Redis
 * round trip, a body decode or a service call. After `auth`, so that room is shared per
 * caller and the refusal reaches the caller's own reply space.
 */
@Injectable()
export class AdmissionGuard implements CanActivate {
  constructor(private readonly admission: AdmissionControl) {}

  canActivate(context: ExecutionContext): boolean {
    this.admission.admit(requestOf(context));
    return true;
  }
}
