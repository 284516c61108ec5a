import { ConflictException, Injectable } from '@nestjs/common';

export type Role = 'user' | 'admin';

export interface User {
  /** The id the gateway sends as `X-User-ID`: one profile per user. */
  user_id: string;
  name: string;
  email: string;
  role: Role;
  created_at: string;
  updated_at: string;
}

export type NewUser = Pick<User, 'user_id' | 'name' | 'email' | 'role'>;
export type UserChanges = Partial<Pick<User, 'name' | 'email'>>;

/** In-memory profiles, keyed by user id; emails are unique, compared lower-cased. */
@Injectable()
export class UsersStore {
  private readonly users = new Map<string, User>();
  /** Lower-cased email → user id: uniqueness is one lookup, however many users there are. */
  private readonly emails = new Map<string, string>();

  create(input: NewUser): User {
    if (this.users.has(input.user_id)) {
      throw new ConflictException(`user ${input.user_id} already has a profile`);
    }
    this.assertEmailFree(input.email);
    const now = new Date().toISOString();
    const user: User = {
      ...input,
      email: input.email.toLowerCase(),
      created_at: now,
      updated_at: now,
    };
    this.users.set(user.user_id, user);
    this.emails.set(user.email, user.user_id);
    return user;
  }

  list(): User[] {
    return [...this.users.values()];
  }

  find(id: string): User | undefined {
    return this.users.get(id);
  }

  update(user: User, changes: UserChanges): User {
    // A DTO's optional property may be null as well as absent: both mean "unchanged".
    if (changes.email != null && changes.email.toLowerCase() !== user.email) {
      this.assertEmailFree(changes.email);
    }
    const updated: User = {
      ...user,
      ...(changes.name != null ? { name: changes.name } : {}),
      ...(changes.email != null ? { email: changes.email.toLowerCase() } : {}),
      updated_at: new Date().toISOString(),
    };
    this.users.set(user.user_id, updated);
    if (updated.email !== user.email) {
      this.emails.delete(user.email);
      this.emails.set(updated.email, updated.user_id);
    }
    return updated;
  }

  delete(id: string): boolean {
    const user = this.users.get(id);
    if (user) this.emails.delete(user.email);
    return this.users.delete(id);
  }

  private assertEmailFree(email: string): void {
    const lower = email.toLowerCase();
    if (this.emails.has(lower)) {
      throw new ConflictException(`email ${lower} is already registered`);
    }
  }
}
