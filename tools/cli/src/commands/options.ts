import { InvalidArgumentError } from 'commander';

export function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new InvalidArgumentError('expected a positive integer');
  }
  return Number(value);
}

export function nonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected 0 or a positive integer');
  return Number(value);
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function scopesOf(value: string): string[] {
  return value.split(/[\s,]+/).filter(Boolean);
}
