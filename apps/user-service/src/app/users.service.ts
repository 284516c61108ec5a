import { ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { isSelfOrAdmin, type CallerIdentity } from '@mqgw/service-kit';
import type { CreateUserDto, UpdateUserDto } from './users.dto';
import { UsersStore, type User } from './users.store';

/**
 * Who may do what with profiles. A user sees and changes only their own profile; an admin
 * (scope `admin`) any. Someone else's profile is a 404, exactly like a missing one, so ids
 * cannot be probed. Only an admin may give a profile the admin role; asking for it without
 * the scope is a 403, never silently a plain user.
 */
@Injectable()
export class UsersService {
  constructor(private readonly store: UsersStore) {}

  create(caller: CallerIdentity, input: CreateUserDto): User {
    const userId = input.user_id ?? caller.userId;
    if (!isSelfOrAdmin(caller, userId)) {
      throw new ForbiddenException("only an admin may create another user's profile");
    }
    if (input.role === 'admin' && !caller.isAdmin) {
      throw new ForbiddenException('only an admin may give the admin role');
    }
    const role = input.role ?? (userId === caller.userId && caller.isAdmin ? 'admin' : 'user');
    return this.store.create({ user_id: userId, name: input.name, email: input.email, role });
  }

  /** An admin's view is everyone; anyone else's is their own profile, if they have one. */
  list(caller: CallerIdentity): User[] {
    if (caller.isAdmin) return this.store.list();
    const own = this.store.find(caller.userId);
    return own ? [own] : [];
  }

  get(caller: CallerIdentity, id: string): User {
    const user = isSelfOrAdmin(caller, id) ? this.store.find(id) : undefined;
    if (!user) throw new NotFoundException(`user ${id} not found`);
    return user;
  }

  update(caller: CallerIdentity, id: string, changes: UpdateUserDto): User {
    return this.store.update(this.get(caller, id), changes);
  }

  delete(caller: CallerIdentity, id: string): void {
    if (!caller.isAdmin) throw new ForbiddenException('only an admin may delete a user');
    if (!this.store.delete(id)) throw new NotFoundException(`user ${id} not found`);
  }

  search(caller: CallerIdentity, query: string): User[] {
    const q = query.toLowerCase();
    return this.list(caller).filter((u) => u.name.toLowerCase().includes(q) || u.email.includes(q));
  }
}
