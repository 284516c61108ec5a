import { Body, Controller, HttpCode, NotFoundException, Param, Post } from '@nestjs/common';
import { Caller, v2Echo, type CallerIdentity } from '@mqgw/service-kit';
import { V2CreateUserDto, V2GetUserDto, V2SearchUsersDto, V2UpdateUserDto } from './users.dto';
import { UsersService } from './users.service';

/**
 * API v2: one POST per action; the reply echoes the `api_version` and `action` it received.
 * The same rules as v1 apply: each action has its own body, and unknown properties are a 400.
 */
@Controller('v2/users')
export class UsersV2Controller {
  constructor(private readonly users: UsersService) {}

  @Post('create')
  @HttpCode(200)
  create(@Caller() caller: CallerIdentity, @Body() body: V2CreateUserDto) {
    return { ...v2Echo(body), user: this.users.create(caller, body.user) };
  }

  @Post('get')
  @HttpCode(200)
  get(@Caller() caller: CallerIdentity, @Body() body: V2GetUserDto) {
    return { ...v2Echo(body), user: this.users.get(caller, body.user_id) };
  }

  @Post('update')
  @HttpCode(200)
  update(@Caller() caller: CallerIdentity, @Body() body: V2UpdateUserDto) {
    return { ...v2Echo(body), user: this.users.update(caller, body.user_id, body.user ?? {}) };
  }

  @Post('search')
  @HttpCode(200)
  search(@Caller() caller: CallerIdentity, @Body() body: V2SearchUsersDto) {
    const users = this.users.search(caller, body.query ?? '');
    return { ...v2Echo(body), users, count: users.length };
  }

  @Post(':action')
  unknown(@Param('action') action: string): never {
    throw new NotFoundException(`unknown action ${action}`);
  }
}
