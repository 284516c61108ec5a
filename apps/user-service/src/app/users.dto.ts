import { IsUserId, V2RequestDto } from '@mqgw/service-kit';
import { Transform, Type } from 'class-transformer';
import {
  IsDefined,
  IsEmail,
  IsIn,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  MaxLength,
  ValidateNested,
} from 'class-validator';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export const ROLES = ['user', 'admin'] as const;

/** `POST /users`. An elevated `role` needs the admin scope (`UsersService.create`). */
export class CreateUserDto {
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @IsString()
  @MaxLength(320)
  @IsEmail()
  email!: string;

  /** Whose profile: the caller's own by default; only an admin may name someone else. */
  @IsOptional()
  @IsUserId()
  user_id?: string;

  /** Default `user` (`admin` for an admin's own profile). */
  @IsOptional()
  @IsIn(ROLES)
  role?: (typeof ROLES)[number];
}

/** `PUT /users/:id`: a profile's name and email, never its id or role. */
export class UpdateUserDto {
  @IsOptional()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string;

  @IsOptional()
  @IsString()
  @MaxLength(320)
  @IsEmail()
  email?: string;
}

export class V2CreateUserDto extends V2RequestDto {
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => CreateUserDto)
  user!: CreateUserDto;
}

export class V2GetUserDto extends V2RequestDto {
  @IsUserId()
  user_id!: string;
}

export class V2UpdateUserDto extends V2RequestDto {
  @IsUserId()
  user_id!: string;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => UpdateUserDto)
  user?: UpdateUserDto;
}

export class V2SearchUsersDto extends V2RequestDto {
  @IsOptional()
  @IsString()
  @MaxLength(200)
  query?: string;
}
