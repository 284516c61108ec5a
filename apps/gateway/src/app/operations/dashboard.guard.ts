import { timingSafeEqual } from 'node:crypto';
import {
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { OPERATIONS_CONFIG, type OperationsConfig } from './operations.config';

/**
 * The dashboard's door, on the page, its data, `/routes` and `/asyncapi.yaml`:
 * - the `Host` header must name one of `DASHBOARD_HOSTS`. A page on another site whose
 *   name an attacker re-points at this address (DNS rebinding) is same-origin with it for
 *   the browser, but its requests still carry the attacker's name, and are refused (403);
 * - `DASHBOARD_TOKEN`, when set, as `Authorization: Bearer <token>` or `?token=<token>` (a
 *   browser opening the page, and its event stream, can only send the latter). Compared in
 *   constant time.
 */
@Injectable()
export class DashboardGuard implements CanActivate {
  private readonly expected?: Buffer;
  private readonly hosts: OperationsConfig['dashboardHosts'];

  constructor(@Inject(OPERATIONS_CONFIG) config: OperationsConfig) {
    this.expected = config.dashboardToken ? Buffer.from(config.dashboardToken) : undefined;
    this.hosts = config.dashboardHosts;
  }

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{
      headers: { authorization?: string; host?: string };
      query: Record<string, unknown>;
    }>();
    if (this.hosts !== '*' && !this.hosts.has(hostName(req.headers.host))) {
      throw new ForbiddenException(
        'the dashboard answers only to the host names in DASHBOARD_HOSTS',
      );
    }
    if (!this.expected) return true;
    const header = req.headers.authorization?.match(/^Bearer (\S+)$/i)?.[1];
    const query = typeof req.query['token'] === 'string' ? req.query['token'] : undefined;
    const given = Buffer.from(header ?? query ?? '');
    if (given.length === this.expected.length && timingSafeEqual(given, this.expected)) {
      return true;
    }
    throw new UnauthorizedException('the dashboard needs its token (DASHBOARD_TOKEN)');
  }
}

/** The name part of a `Host` header, lower case: `Example.com:3000` → `example.com`. */
function hostName(host: string | undefined): string {
  if (!host) return '';
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
  return name.toLowerCase();
}
