// The evaluators a study's `evaluator` spec names, by kind (the part before the colon: 'table' of
// 'table:FILE'), like the strategies' registry. The built-in kinds (train, synthetic, table,
// function) register here through the same call a user's own kind does; a spec string is parsed
// and its evaluator made only through this table, so a registered kind works everywhere a spec
// does (a config file, `createStudy`, a resumed study).
import { FieldError } from '../io/fieldError';
import type { Space } from '../space/types';
import * as path from 'node:path';
import { parseSeed } from '../random/seeds';
import { createTrainingEvaluator, type TrainingEvaluatorOptions } from './training';
import { createSyntheticEvaluator } from './synthetic';
import { createTabularEvaluator } from './tabular';
import type { Evaluator } from './evaluator';
import { FUNCTION_KIND } from './functionEvaluator';

/** What an evaluator is made with, besides its spec: the study's space and settings. */
export interface EvaluatorSettings {
  space: Space;
  /** How to find the space again (a built-in name or a file path; for a space given as an object, its name). */
  spaceRef: string;
  /** The study's data set (the training evaluator only). */
  data?: string;
  /** The training evaluator's budget and recipe. */
  train?: Omit<TrainingEvaluatorOptions, 'space' | 'spaceRef' | 'data'>;
  /** Tabular only: study metric -> table field. */
  metrics?: Record<string, string>;
  /** Synthetic only: sleep per trial (tests). */
  delayMs?: number;
}

/** The parsed arguments of a spec: its kind and what its factory read from the part after the colon. */
export type EvaluatorSpec = { kind: string } & Record<string, unknown>;

/**
 * An evaluator kind: how its spec's argument is read and written, and how its evaluator is made.
 * `P` is the parsed argument (the table's file, the synthetic function's seed).
 */
export interface EvaluatorFactory<P extends object = { arg: string }> {
  /**
   * How a spec of this kind is written, for messages ('table:FILE'); default the kind with
   * '[:ARG]'; null: a kind made in code only, not listed (a function's).
   */
  readonly form?: string | null;
  /** Other names of the kind, read as it ('training' for 'train'). */
  readonly aliases?: readonly string[];
  /**
   * Reads the argument (the text after the colon; '' without one) of `spec`; relative paths are
   * taken from `base`. Throws a FieldError for `evaluator` on a bad one. Default: `{ arg }`.
   */
  parse?(arg: string, spec: string, base: string): P;
  /** The argument as the study stores it (''= none: the spec is the kind alone). Default: `p.arg`. */
  format?(p: P): string;
  /** The evaluator of a parsed spec in a study. */
  create(p: P, settings: EvaluatorSettings): Evaluator;
}

/** A simpler factory: the argument as written (or ''), and the study's settings. */
export type EvaluatorFactoryFunction = (arg: string, settings: EvaluatorSettings) => Evaluator;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- factories of any parsed type live in one map
const factories = new Map<string, EvaluatorFactory<any>>();
const aliases = new Map<string, string>();

/**
 * Registers an evaluator kind: a spec `KIND` or `KIND:ARG` then names it (in a study's
 * `evaluator`, a config file, `createStudy`). A kind is registered once; it is a word of letters,
 * digits, '_' and '-'.
 */
export function registerEvaluator<P extends object>(
  kind: string,
  factory: EvaluatorFactory<P> | EvaluatorFactoryFunction,
): void {
  if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(kind))
    throw new FieldError('evaluator', kind, `an evaluator kind is a word (letters, digits, '_', '-'), not '${kind}'`);
  const f: EvaluatorFactory<P> =
    typeof factory === 'function'
      ? ({ create: (p: { arg: string }, s: EvaluatorSettings) => factory(p.arg, s) } as unknown as EvaluatorFactory<P>)
      : factory;
  for (const name of [kind, ...(f.aliases ?? [])])
    if (factories.has(name) || aliases.has(name))
      throw new Error(`an evaluator kind named '${name}' is registered already`);
  factories.set(kind, f);
  for (const a of f.aliases ?? []) aliases.set(a, kind);
}

/** The registered evaluator kinds, in registration order. */
export function evaluatorKinds(): string[] {
  return [...factories.keys()];
}

/** How each registered kind's spec is written ('train (with `data` D)', 'synthetic[:SEED]', 'table:FILE', ...). */
export function evaluatorForms(): string[] {
  return [...factories.entries()].flatMap(([kind, f]) => (f.form === null ? [] : [f.form ?? `${kind}[:ARG]`]));
}

function factoryOf(kind: string, spec: string): { kind: string; factory: EvaluatorFactory<object> } {
  const name = aliases.get(kind) ?? kind;
  const factory = factories.get(name);
  if (!factory)
    throw new FieldError(
      'evaluator',
      spec,
      `unknown evaluator '${spec}' (evaluators: ${evaluatorForms().join(', ')})`,
      kind === spec ? {} : { hint: `register the kind '${kind}' with registerEvaluator first` },
    );
  return { kind: name, factory };
}

/** Parses an evaluator spec by its kind's factory; relative paths are resolved against `base` (default: the working directory). */
export function parseEvaluatorSpec(spec: string, base = process.cwd()): EvaluatorSpec {
  const colon = spec.indexOf(':');
  const { kind, factory } = factoryOf(colon < 0 ? spec : spec.slice(0, colon), spec);
  const arg = colon < 0 ? '' : spec.slice(colon + 1);
  return { kind, ...(factory.parse ? factory.parse(arg, spec, base) : { arg }) };
}

/** A parsed spec as the study stores it ('synthetic:3', 'table:/abs/file.json', 'train'). */
export function formatEvaluatorSpec(s: EvaluatorSpec): string {
  const { kind, ...p } = s;
  const { factory } = factoryOf(kind, kind);
  const arg = factory.format ? factory.format(p) : String((p as { arg?: unknown }).arg ?? '');
  return arg === '' ? kind : `${kind}:${arg}`;
}

/** The evaluator of a spec (a string such as 'synthetic:3', or parsed), made by its kind's factory. */
export function createEvaluator(spec: EvaluatorSpec | string, settings: EvaluatorSettings): Evaluator {
  const { kind, ...p } = typeof spec === 'string' ? parseEvaluatorSpec(spec) : spec;
  return factoryOf(kind, kind).factory.create(p, settings);
}

// ---- the built-in kinds ------------------------------------------------------------------

registerEvaluator('train', {
  form: 'train (with `data` D)',
  aliases: ['training'],
  parse(arg, spec) {
    if (arg)
      throw new FieldError(
        'evaluator',
        spec,
        `evaluator '${spec}': give the data set as \`data\` (or 'data:' in the config), e.g. \`data\` ${arg}`,
      );
    return {};
  },
  format: () => '',
  create(_p, s) {
    if (!s.data)
      throw new FieldError(
        'data',
        s.data,
        'the training evaluator needs a data set: give `data` D (fashion-mnist[:DIR], mnist[:DIR], cifar10:DIR, synthetic[:SEED])',
      );
    return createTrainingEvaluator({ space: s.space, spaceRef: s.spaceRef, data: s.data, ...(s.train ?? {}) });
  },
});

registerEvaluator<{ seed: number }>('synthetic', {
  form: 'synthetic[:SEED]',
  parse: (arg, spec) => ({ seed: arg === '' ? 0 : parseSeed(arg, `evaluator '${spec}': the seed`) }),
  format: (p) => String(p.seed),
  create: (p, s) => createSyntheticEvaluator(s.space, { seed: p.seed, delayMs: s.delayMs }),
});

registerEvaluator<{ file: string }>('table', {
  form: 'table:FILE',
  parse(arg, spec, base) {
    if (!arg)
      throw new FieldError('evaluator', spec, `evaluator '${spec}': name the table file, e.g. table:bench.json`);
    return { file: path.resolve(base, arg) };
  },
  format: (p) => p.file,
  create: (p, s) => createTabularEvaluator(s.space, p.file, { metrics: s.metrics }),
});

// A user's objective function (functionEvaluator): its spec names it, and a function cannot be
// stored, so a study that used one is given it again when it resumes (an Evaluator object).
registerEvaluator(FUNCTION_KIND, {
  form: null,
  parse(arg, spec) {
    if (!arg)
      throw new FieldError('evaluator', spec, `evaluator '${spec}': name the function, e.g. function:objective`);
    return { arg };
  },
  create(p, s) {
    throw new FieldError(
      'evaluator',
      `${FUNCTION_KIND}:${p.arg}`,
      `this study evaluates its trials with a function of your code ('${p.arg}', space ${s.spaceRef}), which a store cannot hold: give it again as the \`evaluator\` (functionEvaluator(fn, { name: '${p.arg}' }), or the function itself) when you load or resume the study`,
    );
  },
});
