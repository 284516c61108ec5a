import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { EMAIL, validateBody, type Schema } from '@mqgw/service-kit';
import { UsersStore, type NewUser } from './users.store';

export const USER_SCHEMA: Schema = {
  name: { type: 'string', required: true, maxLength: 200 },
  email: { type: 'string', required: true, maxLength: 320, pattern: EMAIL },
  role: { type: 'enum', values: ['user', 'admin'] },
};

@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersStore) {}

  @Post()
  create(@Body() body: unknown) {
    return this.users.create(validateBody<NewUser>(body, USER_SCHEMA));
  }

  @Get()
  list() {
    const users = this.users.list();
    return { users, count: users.length };
  }

  @Get(':id')
  get(@Param('id') id: string) {
    return this.users.get(id);
  }

  @Put(':id')
  update(@Param('id') id: string, @Body() body: unknown) {
    return this.users.update(
      id,
      validateBody<Partial<NewUser>>(body, USER_SCHEMA, { partial: true }),
    );
  }

  @Delete(':id')
  @HttpCode(204)
  delete(@Param('id') id: string): void {
    this.users.delete(id);
  }
}
