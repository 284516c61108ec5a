import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { newId } from '@mqgw/service-kit';

export interface User {
  user_id: string;
  name: string;
  email: string;
  role: 'user' | 'admin';
  created_at: string;
  updated_at: string;
}

export type NewUser = Pick<User, 'name' | 'email'> & Partial<Pick<User, 'role'>>;

/** In-memory users; emails are unique. */
@Injectable()
export class UsersStore {
  private readonly users = new Map<string, User>();

  create(input: NewUser): User {
    this.assertEmailFree(input.email);
    const now = new Date().toISOString();
    const user: User = {
      user_id: newId('usr'),
      name: input.name,
      email: input.email.toLowerCase(),
      role: input.role ?? 'user',
      created_at: now,
      updated_at: now,
    };
    this.users.set(user.user_id, user);
    return user;
  }

  list(): User[] {
    return [...this.users.values()];
  }

  get(id: string): User {
    const user = this.users.get(id);
    if (!user) throw new NotFoundException(`user ${id} not found`);
    return user;
  }

  update(id: string, changes: Partial<NewUser>): User {
    const user = this.get(id);
    if (changes.email && changes.email.toLowerCase() !== user.email)
      this.assertEmailFree(changes.email);
    const updated: User = {
      ...user,
      ...(changes.name !== undefined ? { name: changes.name } : {}),
      ...(changes.email !== undefined ? { email: changes.email.toLowerCase() } : {}),
      ...(changes.role !== undefined ? { role: changes.role } : {}),
      updated_at: new Date().toISOString(),
    };
    this.users.set(id, updated);
    return updated;
  }

  delete(id: string): void {
    this.get(id);
    this.users.delete(id);
  }

  search(query: string): User[] {
    const q = query.toLowerCase();
    return this.list().filter((u) => u.name.toLowerCase().includes(q) || u.email.includes(q));
  }

  private assertEmailFree(email: string): void {
    const lower = email.toLowerCase();
    if ([...this.users.values()].some((u) => u.email === lower)) {
      throw new ConflictException(`email ${lower} is already registered`);
    }
  }
}
