// A strategy's command-line flags, derived from its options schema (a zod object): one flag per
// option of a boolean, number, enum or string type, named after the key in kebab case unless the
// plug-in says otherwise, with the schema's description and default as its help and a parser
// built from the schema's bounds (errors name the flag). Options of other types (lists, records)
// are set in a config file. A flag's former names (FlagSpec.aliases) come as flags of their own that
// set the same option, marked `aliasOf` (the help leaves them out). No commander here: the CLI turns
// these into its options.
import { z } from 'zod';
import type { FlagSpec, StrategyPlugin } from './strategyPlugin';

export interface OptionFlag {
  strategy: string;
  /** The option's key in the strategy's options. */
  option: string;
  /** The flag without dashes: 'theta-lr'. */
  flag: string;
  /** The value's placeholder, or null for a switch (a boolean option). */
  value: string | null;
  /** The schema's description, with its default when it has one. */
  help: string;
  /** Text -> the option's value; throws with the flag's name and what it must be. */
  parse(text: string): unknown;
  /** The option is set by the CLI's common flag of the same name. */
  takesCommonFlag: boolean;
  /** For a former name of a flag: the flag's name now (the help lists only that). */
  aliasOf?: string;
}

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

interface Unwrapped {
  inner: z.ZodType;
  description: string | undefined;
  defaultValue: unknown;
}

function unwrap(field: z.ZodType): Unwrapped {
  let t = field;
  let description = field.description;
  let defaultValue: unknown;
  for (;;) {
    if (t instanceof z.ZodDefault) defaultValue = t._zod.def.defaultValue;
    else if (!(t instanceof z.ZodOptional || t instanceof z.ZodNullable)) break;
    t = t._zod.def.innerType as z.ZodType;
    description ??= t.description;
  }
  return { inner: t, description, defaultValue };
}

interface NumberBounds {
  integer: boolean;
  min: { value: number; inclusive: boolean } | null;
  max: { value: number; inclusive: boolean } | null;
}

function boundsOf(t: z.ZodNumber): NumberBounds {
  const b: NumberBounds = { integer: false, min: null, max: null };
  for (const c of t._zod.def.checks ?? []) {
    const d = c._zod.def as { check: string; value?: number; inclusive?: boolean; format?: string };
    if (d.check === 'number_format' && (d.format === 'safeint' || d.format === 'int32')) b.integer = true;
    if (d.check === 'greater_than') b.min = { value: d.value!, inclusive: !!d.inclusive };
    if (d.check === 'less_than') b.max = { value: d.value!, inclusive: !!d.inclusive };
  }
  return b;
}

/** 'a positive integer', 'a number >= 0', 'a number in (0, 1]'... */
function describeBounds(b: NumberBounds): string {
  const { min, max } = b;
  if (min && max)
    return `${b.integer ? 'an integer' : 'a number'} in ${min.inclusive ? '[' : '('}${min.value}, ${max.value}${max.inclusive ? ']' : ')'}`;
  if (min && min.value === 0)
    return b.integer
      ? min.inclusive
        ? 'a non-negative integer'
        : 'a positive integer'
      : min.inclusive
        ? 'a number >= 0'
        : 'a positive number';
  if (min && b.integer && !min.inclusive) return `an integer > ${min.value}`;
  if (min) return `${b.integer ? 'an integer' : 'a number'} ${min.inclusive ? '>=' : '>'} ${min.value}`;
  if (max) return `${b.integer ? 'an integer' : 'a number'} ${max.inclusive ? '<=' : '<'} ${max.value}`;
  return b.integer ? 'an integer' : 'a number';
}

function numberParser(flag: string, b: NumberBounds): (text: string) => number {
  return (text) => {
    const n = Number(text);
    const ok =
      text.trim() !== '' &&
      Number.isFinite(n) &&
      (!b.integer || Number.isInteger(n)) &&
      (!b.min || (b.min.inclusive ? n >= b.min.value : n > b.min.value)) &&
      (!b.max || (b.max.inclusive ? n <= b.max.value : n < b.max.value));
    if (!ok) throw new Error(`--${flag} must be ${describeBounds(b)}, got '${text}'`);
    return n;
  };
}

function withDefault(description: string, defaultValue: unknown): string {
  if (defaultValue === undefined || defaultValue === null || defaultValue === false) return description;
  return `${description} (default ${typeof defaultValue === 'string' ? defaultValue : JSON.stringify(defaultValue)})`;
}

/** The flags of one plug-in's options (options of other types are left to config files). */
export function optionFlags(plugin: StrategyPlugin<unknown>): OptionFlag[] {
  const shape = (plugin.options as unknown as { shape?: Record<string, z.ZodType> }).shape;
  if (!shape)
    throw new Error(
      `strategy '${plugin.name}': its options must be a zod object (z.object / z.strictObject), so that its flags can be derived`,
    );
  const specs = (plugin.flags ?? {}) as Record<string, FlagSpec | undefined>;
  const out: OptionFlag[] = [];
  for (const [option, field] of Object.entries(shape)) {
    const spec = specs[option] ?? {};
    const name = spec.name ?? kebab(option);
    for (const flag of [name, ...(spec.aliases ?? [])]) {
      const f = fieldFlag(plugin, option, field, flag, spec);
      if (f) out.push(flag === name ? f : { ...f, aliasOf: name });
    }
  }
  return out;
}

/** One flag of an option (null for an option of a type flags do not carry). */
function fieldFlag(
  plugin: StrategyPlugin<unknown>,
  option: string,
  field: z.ZodType,
  flag: string,
  spec: FlagSpec,
): OptionFlag | null {
  const { inner, description, defaultValue } = unwrap(field);
  if (!description)
    throw new Error(
      `strategy '${plugin.name}': option '${option}' has no description (.describe('...')): its --${flag} help would be empty`,
    );
  const base = {
    strategy: plugin.name,
    option,
    flag,
    help: withDefault(description, defaultValue),
    takesCommonFlag: !!spec.takesCommonFlag,
  };
  if (inner instanceof z.ZodBoolean) {
    return { ...base, value: null, parse: spec.parse ?? (() => true) };
  } else if (inner instanceof z.ZodNumber) {
    const b = boundsOf(inner);
    return { ...base, value: spec.value ?? (b.integer ? 'n' : 'x'), parse: spec.parse ?? numberParser(flag, b) };
  } else if (inner instanceof z.ZodEnum) {
    const choices = inner.options.map(String);
    return {
      ...base,
      value: spec.value ?? choices.join('|'),
      parse:
        spec.parse ??
        ((text) => {
          if (!choices.includes(text)) throw new Error(`--${flag} must be one of ${choices.join(', ')}, got '${text}'`);
          return text;
        }),
    };
  } else if (inner instanceof z.ZodString) {
    return { ...base, value: spec.value ?? 'text', parse: spec.parse ?? ((text) => text) };
  }
  return null;
}
