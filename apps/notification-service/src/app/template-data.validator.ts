import { ValidatorConstraint, type ValidatorConstraintInterface } from 'class-validator';

export const MAX_VARIABLES = 20;
export const MAX_VARIABLE_LENGTH = 1000;

/** Template variables: at most 20, each a string of at most 1000 characters or a number. */
@ValidatorConstraint({ name: 'templateData' })
export class TemplateData implements ValidatorConstraintInterface {
  validate(data: unknown): boolean {
    if (typeof data !== 'object' || data === null || Array.isArray(data)) return false;
    const values = Object.values(data);
    return (
      values.length <= MAX_VARIABLES &&
      values.every(
        (v) =>
          (typeof v === 'string' && v.length <= MAX_VARIABLE_LENGTH) ||
          (typeof v === 'number' && Number.isFinite(v)),
      )
    );
  }

  defaultMessage(): string {
    return `data must hold at most ${MAX_VARIABLES} variables, each a string of at most ${MAX_VARIABLE_LENGTH} characters or a number`;
  }
}
