import { timingSafeEqual } from 'node:crypto';
import {
  Inject,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { OPERATIONS_CONFIG, type OperationsConfig } from './operations.config';

/**
 * `DASHBOARD_TOKEN`, when set: the page and its data need it, as `Authorization: Bearer
 * <token>` or `?token=<token>` (a browser opening the page, and its event stream, can only
 * send the latter). Compared in constant time.
 */
@Injectable()
export class DashboardGuard implements CanActivate {
  private readonly expected?: Buffer;

  constructor(@Inject(OPERATIONS_CONFIG) config: OperationsConfig) {
    this.expected = config.dashboardToken ? Buffer.from(config.dashboardToken) : undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.expected) return true;
    const req = context.switchToHttp().getRequest<{
      headers: { authorization?: string };
      query: Record<string, unknown>;
    }>();
    const header = req.headers.authorization?.match(/^Bearer (\S+)$/i)?.[1];
    const query = typeof req.query['token'] === 'string' ? req.query['token'] : undefined;
    const given = Buffer.from(header ?? query ?? '');
    if (given.length === this.expected.length && timingSafeEqual(given, this.expected)) {
      return true;
    }
    throw new UnauthorizedException('the dashboard needs its token (DASHBOARD_TOKEN)');
  }
}
