// Parsers for command-line option values, with errors that name the option.
import { InvalidArgumentError } from 'commander';
import { parseSeed } from '../random/seeds';

/** Decimal digits that a number holds exactly (99999999999999999999 would round to another integer). */
const exactInteger = (v: string): number => (/^\s*\d+\s*$/.test(v) ? Number(v) : NaN);

export function positiveInt(name: string) {
  return (v: string): number => {
    const n = exactInteger(v);
    if (!Number.isSafeInteger(n) || n < 1)
      throw new InvalidArgumentError(
        `${name} must be a positive integer (at most ${Number.MAX_SAFE_INTEGER}), got '${v}'`,
      );
    return n;
  };
}

export function nonNegativeInt(name: string) {
  return (v: string): number => {
    const n = exactInteger(v);
    if (!Number.isSafeInteger(n))
      throw new InvalidArgumentError(
        `${name} must be a non-negative integer (at most ${Number.MAX_SAFE_INTEGER}), got '${v}'`,
      );
    return n;
  };
}

export function oneOf<T extends string>(name: string, values: readonly T[]) {
  return (v: string): T => {
    if (!values.includes(v as T))
      throw new InvalidArgumentError(`${name} must be one of ${values.join(', ')}, got '${v}'`);
    return v as T;
  };
}

export function positiveNumber(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number, got '${v}'`);
    return n;
  };
}

/** A seed: an integer from 0 to 2^32 - 1, refused (not wrapped) beyond. */
export function seedOption(name: string) {
  return (v: string): number => {
    try {
      return parseSeed(v, name);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };
}
