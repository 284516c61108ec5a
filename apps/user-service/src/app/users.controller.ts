import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { Caller, type CallerIdentity } from '@mqgw/service-kit';
import { CreateUserDto, UpdateUserDto } from './users.dto';
import { UsersService } from './users.service';

@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  create(@Caller() caller: CallerIdentity, @Body() body: CreateUserDto) {
    return this.users.create(caller, body);
  }

  @Get()
  list(@Caller() caller: CallerIdentity) {
    const users = this.users.list(caller);
    return { users, count: users.length };
  }

  @Get(':id')
  get(@Caller() caller: CallerIdentity, @Param('id') id: string) {
    return this.users.get(caller, id);
  }

  @Put(':id')
  update(@Caller() caller: CallerIdentity, @Param('id') id: string, @Body() body: UpdateUserDto) {
    return this.users.update(caller, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  delete(@Caller() caller: CallerIdentity, @Param('id') id: string): void {
    this.users.delete(caller, id);
  }
}
