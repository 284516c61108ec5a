import { ValidationPipe, applyDecorators, type ValidationPipeOptions } from '@nestjs/common';
import { IsString, Matches } from 'class-validator';
import { USER_ID_PATTERN } from './caller';

/**
 * How every service validates input: a DTO class per body or query, unknown properties
 * are a 400 (never silently dropped), and handlers get instances of their DTO. A failure
 * is Nest's standard body, `{ statusCode: 400, message: [one string per problem], error }`.
 */
export const VALIDATION_OPTIONS: Readonly<ValidationPipeOptions> = Object.freeze({
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
});

export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({ ...VALIDATION_OPTIONS });
}

/** A DTO property holding a user id, with the same rules as `X-User-ID`. */
export function IsUserId(): PropertyDecorator {
  return applyDecorators(
    IsString(),
    Matches(USER_ID_PATTERN, {
      message: '$property must be 1-128 characters of A-Z a-z 0-9 _ . @ : -',
    }),
  );
}

/** An ISO 4217-style currency code: three capital letters (`example` is for the message). */
export function IsCurrencyCode(example = 'EUR'): PropertyDecorator {
  return applyDecorators(
    IsString(),
    Matches(/^[A-Z]{3}$/, { message: `$property must be a three-letter code such as ${example}` }),
  );
}
