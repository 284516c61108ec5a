import {
  BadRequestException,
  Injectable,
  SetMetadata,
  UnauthorizedException,
  createParamDecorator,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { UPSTREAM_HEADER } from '@mqgw/contracts';

/** What a user id (`X-User-ID`, or a `user_id` an admin names) may look like. */
export const USER_ID_PATTERN = /^[A-Za-z0-9_.@:-]{1,128}$/;

/** The scope that makes a caller an administrator. */
export const ADMIN_SCOPE = 'admin';

/** Who is calling, as the gateway vouches for it. */
export interface CallerIdentity {
  /** `X-User-ID`: the verified user id (a JWT's `sub`, an API key's owner). */
  userId: string;
  /** `X-User-Scopes`, split on whitespace. */
  scopes: string[];
  /** Holds the `admin` scope. */
  isAdmin: boolean;
}

interface RequestLike {
  headers: Record<string, string | string[] | undefined>;
}

const parsed = new WeakMap<object, CallerIdentity>();

/**
 * The caller of an HTTP request, from the identity headers only the gateway sets (clients'
 * own copies never pass it). No `X-User-ID` is a 401; a malformed one is a 400.
 */
export function callerOf(req: RequestLike): CallerIdentity {
  const known = parsed.get(req);
  if (known) return known;
  const userId = req.headers[UPSTREAM_HEADER.userId];
  if (userId === undefined) throw new UnauthorizedException('X-User-ID is required');
  if (typeof userId !== 'string' || !USER_ID_PATTERN.test(userId)) {
    throw new BadRequestException('X-User-ID must be 1-128 characters of A-Z a-z 0-9 _ . @ : -');
  }
  const header = req.headers[UPSTREAM_HEADER.userScopes];
  const scopes = [
    ...new Set((Array.isArray(header) ? header.join(' ') : (header ?? '')).split(/\s+/)),
  ].filter(Boolean);
  const caller: CallerIdentity = { userId, scopes, isAdmin: scopes.includes(ADMIN_SCOPE) };
  parsed.set(req, caller);
  return caller;
}

/** May `caller` act on what belongs to `ownerId`: it is theirs, or they are an admin. */
export function isSelfOrAdmin(caller: CallerIdentity, ownerId: string): boolean {
  return caller.isAdmin || caller.userId === ownerId;
}

/** The route's handler parameter gets the caller: `list(@Caller() caller: CallerIdentity)`. */
export const Caller = createParamDecorator(
  (_data: unknown, context: ExecutionContext): CallerIdentity =>
    callerOf(context.switchToHttp().getRequest<RequestLike>()),
);

const PUBLIC_ROUTE = 'mqgw:public-route';

/** Marks a route (or controller) that answers without `X-User-ID`, such as `GET /health`. */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/**
 * Every HTTP route needs a caller unless it is `@Public()`: the 401/400 comes before any
 * body is validated or any handler or interceptor runs.
 */
@Injectable()
export class CallerGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const open = this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_ROUTE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!open) callerOf(context.switchToHttp().getRequest<RequestLike>());
    return true;
  }
}
