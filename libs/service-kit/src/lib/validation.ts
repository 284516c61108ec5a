import { BadRequestException } from '@nestjs/common';

type Rule =
  | { type: 'string'; required?: boolean; maxLength?: number; pattern?: RegExp }
  | { type: 'number'; required?: boolean; min?: number; max?: number }
  | { type: 'integer'; required?: boolean; min?: number; max?: number }
  | { type: 'boolean'; required?: boolean }
  | { type: 'object'; required?: boolean }
  | { type: 'array'; required?: boolean; minItems?: number }
  | { type: 'enum'; required?: boolean; values: readonly string[] };

export type Schema = Record<string, Rule>;

export const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Checks a JSON body against a flat schema. Unknown fields are ignored, and a failure is
 * a 400 with a JSON body listing each problem.
 */
export function validateBody<T>(
  body: unknown,
  schema: Schema,
  options: { partial?: boolean } = {},
): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('body must be a JSON object');
  }
  const record = body as Record<string, unknown>;
  const problems: string[] = [];
  for (const [field, rule] of Object.entries(schema)) {
    const value = record[field];
    if (value === undefined || value === null) {
      if (rule.required && !options.partial) problems.push(`${field} is required`);
      continue;
    }
    const problem = check(field, value, rule);
    if (problem) problems.push(problem);
  }
  if (problems.length > 0) {
    throw badRequest(...problems);
  }
  return record as T;
}

function check(field: string, value: unknown, rule: Rule): string | undefined {
  switch (rule.type) {
    case 'string':
      if (typeof value !== 'string' || value.trim() === '')
        return `${field} must be a non-empty string`;
      if (rule.maxLength !== undefined && value.length > rule.maxLength)
        return `${field} must be at most ${rule.maxLength} characters`;
      if (rule.pattern && !rule.pattern.test(value)) return `${field} has an invalid format`;
      return undefined;
    case 'number':
    case 'integer':
      if (typeof value !== 'number' || !Number.isFinite(value)) return `${field} must be a number`;
      if (rule.type === 'integer' && !Number.isInteger(value)) return `${field} must be an integer`;
      if (rule.min !== undefined && value < rule.min) return `${field} must be >= ${rule.min}`;
      if (rule.max !== undefined && value > rule.max) return `${field} must be <= ${rule.max}`;
      return undefined;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `${field} must be a boolean`;
    case 'object':
      return typeof value === 'object' && !Array.isArray(value)
        ? undefined
        : `${field} must be an object`;
    case 'array':
      if (!Array.isArray(value)) return `${field} must be an array`;
      if (rule.minItems !== undefined && value.length < rule.minItems)
        return `${field} must have at least ${rule.minItems} items`;
      return undefined;
    case 'enum':
      return typeof value === 'string' && rule.values.includes(value)
        ? undefined
        : `${field} must be one of ${rule.values.join(', ')}`;
  }
}

/** A 400 with the same JSON shape as a schema failure. */
export function badRequest(...problems: string[]): BadRequestException {
  return new BadRequestException({ statusCode: 400, error: 'Bad Request', message: problems });
}

/** The non-empty string `field` of a JSON body, or a 400 naming it. */
export function requireString(body: unknown, field: string): string {
  const value =
    typeof body === 'object' && body !== null
      ? (body as Record<string, unknown>)[field]
      : undefined;
  if (typeof value !== 'string' || value === '') throw badRequest(`${field} is required`);
  return value;
}

/** What every API v2 reply starts with: the version and action the service received. */
export function v2Echo(body: unknown): { api_version: unknown; action: unknown } {
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  return { api_version: record['api_version'] ?? null, action: record['action'] ?? null };
}
