import {
  BadRequestException,
  Body,
  Controller,
  HttpCode,
  NotFoundException,
  Param,
  Post,
} from '@nestjs/common';
import { validateBody } from '@mqgw/service-kit';
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
    const echo = { api_version: body?.api_version ?? null, action: body?.action ?? null };
    switch (action) {
      case 'create':
        return { ...echo, user: this.users.create(validateBody<NewUser>(body?.user, USER_SCHEMA)) };
      case 'get':
        return { ...echo, user: this.users.get(requireId(body)) };
      case 'update':
        return {
          ...echo,
          user: this.users.update(
            requireId(body),
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

function requireId(body: V2Request): string {
  if (typeof body?.user_id !== 'string' || body.user_id === '') {
    throw new BadRequestException({
      statusCode: 400,
      error: 'Bad Request',
      message: ['user_id is required'],
    });
  }
  return body.user_id;
}
