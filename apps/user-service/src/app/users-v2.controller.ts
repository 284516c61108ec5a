import { Body, Controller, HttpCode, NotFoundException, Param, Post } from '@nestjs/common';
import { requireString, v2Echo, validateBody } from '@mqgw/service-kit';
import { UsersStore, type NewUser } from './users.store';
import { USER_SCHEMA } from './users.controller';

interface V2Request {
  api_version?: string;
  action?: string;
  user?: unknown;
  user_id?: string;
  query?: string;
}

/** API v2: one POST per action; the reply echoes the `api_version` and `action` it received. */
@Controller('v2/users')
export class UsersV2Controller {
  constructor(private readonly users: UsersStore) {}

  @Post(':action')
  @HttpCode(200)
  act(@Param('action') action: string, @Body() body: V2Request) {
    const echo = v2Echo(body);
    switch (action) {
      case 'create':
        return { ...echo, user: this.users.create(validateBody<NewUser>(body?.user, USER_SCHEMA)) };
      case 'get':
        return { ...echo, user: this.users.get(requireString(body, 'user_id')) };
      case 'update':
        return {
          ...echo,
          user: this.users.update(
            requireString(body, 'user_id'),
            validateBody<Partial<NewUser>>(body?.user ?? {}, USER_SCHEMA, { partial: true }),
          ),
        };
      case 'search': {
        const users = this.users.search(typeof body?.query === 'string' ? body.query : '');
        return { ...echo, users, count: users.length };
      }
      default:
        throw new NotFoundException(`unknown action ${action}`);
    }
  }
}
