// A search's configuration: a YAML or JSON file (zod-validated; errors name the field), command-line
// flags on top of it, resolved into the complete configuration a study stores. Relative paths in a
// file are relative to the file; on the command line, to the working directory. The stored form
// has absolute paths and every default filled in, so a study resumes from anywhere.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { BUILTIN_SPACES } from '../space/registry';
import { formatIssues, readDataFile } from '../io/readDataFile';
import { spaceFileSchema } from '../space/schema';
import { spaceFromData } from '../space/loadSpace';
import type { Space } from '../space/types';
import { FieldError } from '../io/fieldError';
import { formatEvaluatorSpec, parseEvaluatorSpec } from '../evaluate/registry';
import { parseConstraint } from '../cost/constraints';
import type { Objective, StudyInit } from '../study/types';
import { resolveStoreLocation } from '../study/storeLocation';
import { MAX_SEED, SEED_RANGE } from '../random/seeds';

const posInt = z.number().int().positive();

/** The config file (every field optional; flags may supply or override any). */
export const searchConfigFileSchema = z.strictObject({
  strategy: z.string().min(1).optional(),
  /** A built-in space's name, a space file, or (from code) the space itself as an object of the space file's fields. */
  space: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
  /** 'train' (needs data), 'synthetic[:SEED]', 'table:FILE'. Default: train when data is given. */
  evaluator: z.string().min(1).optional(),
  data: z.string().min(1).optional(),
  /** Complete trials to end with. */
  trials: posInt.optional(),
  /** Stop after this many failed trials (default max(10, trials)). */
  maxFailed: posInt.optional(),
  seed: z.number().int().min(0).max(MAX_SEED, `must be ${SEED_RANGE}`).optional(),
  constraints: z.array(z.string().min(1)).optional(),
  /** Latency lookup table (tsnas lut build) for latency constraints. */
  lut: z.string().min(1).optional(),
  study: z.string().min(1).optional(),
  store: z.string().min(1).optional(),
  /**
   * Where the study keeps its files (checkpoints, supernets, predictor weights): 'store' (in the
   * store itself; the default on PostgreSQL), a folder every worker mounts at the same path (the
   * study's files go in FOLDER/<study>), or 'beside' (SQLite's default: beside the store).
   */
  files: z.string().min(1).optional(),
  objective: z
    .strictObject({
      metric: z.string().min(1).default('accuracy'),
      direction: z.enum(['maximize', 'minimize']).default('maximize'),
    })
    .optional(),
  /** Tabular evaluators: study metric name -> table field, e.g. { accuracy: val_acc }. */
  metrics: z.record(z.string().min(1), z.string().min(1)).optional(),
  /** Training evaluator budget and recipe. */
  train: z
    .strictObject({
      epochs: posInt.optional(),
      limitTrain: posInt.optional(),
      /** A recipe file, or recipe fields inline. */
      recipe: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
      threads: posInt.optional(),
      /** Also measure test accuracy of every trial (reported, never selected on). */
      reportTest: z.boolean().optional(),
    })
    .optional(),
  /**
   * Final training (finalTraining.ts): the search's result, and the reference architectures, trained
   * with the final recipe (the study's, for `epochs`, on the whole training set, with EMA).
   */
  final: z
    .strictObject({
      /** Epochs of the final recipe; final training runs when set. */
      epochs: posInt.optional(),
      /** Train on a stratified subset of this many images (reduced runs; default the whole training set). */
      limitTrain: posInt.optional(),
      /** Recipe fields over the study's recipe (e.g. { lr: 0.05 }). */
      recipe: z.record(z.string(), z.unknown()).optional(),
      /** EMA decay of the weights (default: from the schedule's steps, 1 - 10 / steps). */
      emaDecay: z.number().gt(0).lt(1).optional(),
      /** Distil from this teacher checkpoint (a `tsnas train` run directory). */
      teacher: z.string().min(1).optional(),
      /**
       * Distil the result from one of `references`, trained first in each round: run k of the
       * result learns from run k of it (finalTraining.ts). The references themselves are not distilled.
       */
      distillFrom: z.string().min(1).optional(),
      /** Architectures to train beside the result with the same recipe: the space's named ones or architecture strings. */
      references: z.array(z.string().min(1)).optional(),
      /** Train the result and every reference this many times, each with its own seed (default 1). */
      seeds: posInt.optional(),
    })
    .optional(),
  /** The strategy's own options (e.g. evolution: population, sampleSize). */
  options: z.record(z.string(), z.unknown()).optional(),
  /** Tests only: sleep this long per synthetic trial. */
  evalDelayMs: z.number().int().min(0).optional(),
});
export type SearchConfigInput = z.infer<typeof searchConfigFileSchema>;

/** The complete configuration a study stores. */
export interface SearchConfig {
  strategy: string;
  /** A built-in space's name or a space file's absolute path; for a space given as an object, its name. */
  space: string;
  /** The space itself, when it was given as an object (a space file's fields, as validated): what the study searches. */
  spaceData?: Record<string, unknown>;
  evaluator: string;
  data: string | null;
  trials: number;
  maxFailed: number | null;
  seed: number;
  constraints: string[];
  lut: string | null;
  objective: Objective;
  metrics: Record<string, string>;
  train: {
    epochs: number | null;
    limitTrain: number | null;
    recipeFile: string | null;
    recipe: Record<string, unknown>;
    threads: number;
    reportTest: boolean;
  };
  options: Record<string, unknown>;
  evalDelayMs: number;
  /** Where the study keeps its files ('store', 'beside' or an absolute folder); absent: the store's default. */
  files?: string;
  /** Final training; absent when not asked for. */
  final?: FinalTrainingConfig | null;
  /**
   * 'study': every training seed (each trial's, each final run's) derives from `seed`
   * (src/random/studySeeds.ts). Absent in studies made before: they train with their recipe's
   * seed, as they recorded.
   */
  trainingSeeds?: 'study';
}

/** The final training a study asks for (the complete form of the file's `final`). */
export interface FinalTrainingConfig {
  epochs: number;
  limitTrain: number | null;
  recipe: Record<string, unknown>;
  emaDecay: number | null;
  teacher: string | null;
  /** A reference the result distils from, run k from run k; absent in studies made before (none). */
  distillFrom?: string;
  references: string[];
  /** How many times each network trains (its own seed each time); absent in studies made before (1). */
  seeds?: number;
}

export const DEFAULT_TRIALS = 20;

/** A configuration that cannot be completed or resumed: names the field at fault (a FieldError). */
export class ConfigError extends FieldError {}

/** Reads a config file (YAML, or JSON by its name; empty means no settings); errors name the file and the field. */
export function loadSearchConfigFile(file: string): SearchConfigInput {
  const c = readDataFile(file, searchConfigFileSchema, {
    what: 'config file',
    empty: {},
    fix: 'The fields of a config file: docs/studies.md (flags of the same names override them).',
  });
  return resolvePaths(c, path.dirname(path.resolve(file)));
}

const isBuiltinSpace = (s: string) => (BUILTIN_SPACES as readonly string[]).includes(s);

function resolveDataSpec(spec: string, base: string): string {
  const colon = spec.indexOf(':');
  if (colon < 0) return spec;
  const kind = spec.slice(0, colon);
  const arg = spec.slice(colon + 1);
  return kind === 'synthetic' || !arg ? spec : `${kind}:${path.resolve(base, arg)}`;
}

/** Makes the paths of a config absolute, relative to base. */
export function resolvePaths(c: SearchConfigInput, base: string): SearchConfigInput {
  const out: SearchConfigInput = { ...c };
  if (typeof c.space === 'string' && !isBuiltinSpace(c.space) && fs.existsSync(path.resolve(base, c.space)))
    out.space = path.resolve(base, c.space);
  if (c.evaluator !== undefined) out.evaluator = formatEvaluatorSpec(parseEvaluatorSpec(c.evaluator, base));
  if (c.data !== undefined) out.data = resolveDataSpec(c.data, base);
  if (c.lut !== undefined) out.lut = path.resolve(base, c.lut);
  if (c.files !== undefined && c.files !== 'store' && c.files !== 'beside') out.files = path.resolve(base, c.files);
  // A PostgreSQL store is a URL, not a path; an address of no form tsnas knows is refused.
  if (c.store !== undefined) out.store = resolveStoreLocation(c.store, base);
  if (c.train?.recipe !== undefined && typeof c.train.recipe === 'string')
    out.train = { ...c.train, recipe: path.resolve(base, c.train.recipe) };
  if (c.final?.teacher !== undefined) out.final = { ...c.final, teacher: path.resolve(base, c.final.teacher) };
  return out;
}

/** Flags over a config file: flags win; strategy options merge key by key. */
export function mergeConfig(file: SearchConfigInput, flags: SearchConfigInput): SearchConfigInput {
  const defined = <T extends object>(o: T | undefined) =>
    Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
  return {
    ...defined(file),
    ...defined(flags),
    ...(file.train || flags.train ? { train: { ...defined(file.train), ...defined(flags.train) } } : {}),
    ...(file.options || flags.options ? { options: { ...defined(file.options), ...defined(flags.options) } } : {}),
    ...(file.final || flags.final ? { final: { ...defined(file.final), ...defined(flags.final) } } : {}),
    ...(file.objective || flags.objective
      ? { objective: { ...file.objective, ...defined(flags.objective) } as SearchConfigInput['objective'] }
      : {}),
  };
}

/** Fills defaults and checks what belongs together; the result is what the study stores. */
export function completeConfig(c: SearchConfigInput): SearchConfig {
  if (!c.strategy)
    throw new ConfigError(
      'strategy',
      c.strategy,
      'no strategy: give it as the first argument (tsnas search <strategy>) or as `strategy:` in the config file',
    );
  if (!c.space)
    throw new ConfigError(
      'space',
      c.space,
      `no space: give \`space\` S (built-in: ${BUILTIN_SPACES.join(', ')}; or a space file) or \`space:\` in the config file`,
    );
  const spaceObject = typeof c.space === 'object' ? checkSpaceObject(c.space) : null;
  let evaluator = c.evaluator;
  if (!evaluator) {
    if (!c.data)
      throw new ConfigError(
        'evaluator',
        c.evaluator,
        'nothing to evaluate with: give `data` D (train each candidate) or `evaluator` synthetic[:SEED] | table:FILE',
      );
    evaluator = 'train';
  }
  const spec = parseEvaluatorSpec(evaluator);
  if (spec.kind !== 'train' && c.data) {
    throw new ConfigError(
      'data',
      c.data,
      `\`data\` ${c.data} trains candidates, \`evaluator\` ${evaluator} does not: give one of them (or \`evaluator\` train with \`data\`)`,
    );
  }
  if (spec.kind === 'train' && !c.data)
    throw new ConfigError(
      'data',
      c.data,
      'the training evaluator needs a data set: give `data` D (fashion-mnist[:DIR], mnist[:DIR], cifar10:DIR, synthetic[:SEED])',
    );
  if (spec.kind !== 'train' && c.train && Object.values(c.train).some((v) => v !== undefined)) {
    const fields = Object.entries(c.train)
      .filter(([, v]) => v !== undefined)
      .map(([k]) => k);
    throw new ConfigError(
      `train.${fields[0]}`,
      c.train[fields[0] as keyof typeof c.train],
      `\`train.${fields[0]}\` only applies to the training evaluator (\`data\` D), not to ${evaluator}`,
    );
  }
  if (c.metrics && spec.kind !== 'table')
    throw new ConfigError(
      'metrics',
      c.metrics,
      `\`metrics\` (NAME=FIELD) maps the fields of a table; it only applies to \`evaluator\` table:FILE, not to ${evaluator}`,
    );
  const recipe = c.train?.recipe;
  const final = c.final && Object.values(c.final).some((v) => v !== undefined) ? c.final : null;
  if (final && final.epochs === undefined) {
    const field = Object.keys(final).find((k) => final[k as keyof typeof final] !== undefined)!;
    throw new ConfigError(
      `final.${field}`,
      final[field as keyof typeof final],
      `final.${field} belongs to final training, which runs only with its epochs: give \`final.epochs\` N (\`final: { epochs: N }\` in the config file)`,
    );
  }
  if (final && spec.kind !== 'train')
    throw new ConfigError(
      'final.epochs',
      final.epochs,
      `final training (\`final.epochs\`) trains the result on the data: give \`data\` D (the training evaluator), not \`evaluator\` ${evaluator}`,
    );
  return {
    strategy: c.strategy,
    space: spaceObject ? spaceObject.name : (c.space as string),
    ...(spaceObject ? { spaceData: spaceObject.data } : {}),
    evaluator: formatEvaluatorSpec(spec),
    data: c.data ?? null,
    trials: c.trials ?? DEFAULT_TRIALS,
    maxFailed: c.maxFailed ?? null,
    seed: c.seed ?? 0,
    constraints: c.constraints ?? [],
    lut: c.lut ?? null,
    objective: { metric: c.objective?.metric ?? 'accuracy', direction: c.objective?.direction ?? 'maximize' },
    metrics: c.metrics ?? {},
    train: {
      epochs: c.train?.epochs ?? null,
      limitTrain: c.train?.limitTrain ?? null,
      recipeFile: typeof recipe === 'string' ? recipe : null,
      recipe: typeof recipe === 'object' ? recipe : {},
      threads: c.train?.threads ?? 2,
      reportTest: c.train?.reportTest ?? false,
    },
    options: c.options ?? {},
    evalDelayMs: c.evalDelayMs ?? 0,
    ...(c.files !== undefined ? { files: c.files } : {}),
    trainingSeeds: 'study',
    // Absent unless asked for: the stored configuration of a study without it is as before.
    ...(final
      ? {
          final: {
            epochs: final.epochs!,
            limitTrain: final.limitTrain ?? null,
            recipe: final.recipe ?? {},
            emaDecay: final.emaDecay ?? null,
            teacher: final.teacher ?? null,
            ...(final.distillFrom !== undefined ? { distillFrom: final.distillFrom } : {}),
            references: final.references ?? [],
            seeds: final.seeds ?? 1,
          },
        }
      : {}),
  };
}

/**
 * A space given as an object (from code): checked against the space file's schema, then resolved
 * (its structure decoded); errors are FieldErrors naming the field under `space`.
 */
export function checkSpaceObject(data: Record<string, unknown>): {
  name: string;
  data: Record<string, unknown>;
  space: Space;
} {
  const r = spaceFileSchema.safeParse(data);
  if (!r.success) {
    const first = r.error.issues[0]!;
    const at = first.path.map(String);
    const value = at.reduce<unknown>(
      (v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
      data,
    );
    throw new ConfigError(
      ['space', ...at].join('.'),
      value,
      `invalid space object (\`space\`):\n${formatIssues(r.error.issues)
        .split('\n')
        .map((l) => l.replace(/^ {2}/, '  space.'))
        .join('\n')}\nThe fields of a space: docs/spaces.md.`,
    );
  }
  let space: Space;
  try {
    space = spaceFromData(data);
  } catch (err) {
    throw new ConfigError('space', data, `invalid space object (\`space\`): ${(err as Error).message}`, { cause: err });
  }
  return { name: space.name, data, space };
}

/**
 * What a resume may change: the trial target (only up), the failure cap, threads, the test delay,
 * and the final training's runs per network (`final.seeds`, only up: the runs done are kept).
 */
export function applyResumeOverrides(stored: SearchConfig, flags: SearchConfigInput, studyName: string): SearchConfig {
  const allowed = new Set(['trials', 'maxFailed', 'evalDelayMs', 'train', 'store', 'study']);
  for (const [k, v] of Object.entries(flags)) {
    if (v === undefined || allowed.has(k)) continue;
    if (k === 'options' && Object.values(v as object).every((x) => x === undefined)) continue;
    if (k === 'constraints' && Array.isArray(v) && v.length === 0) continue;
    if (k === 'final') {
      const changed = Object.entries(v as object).filter(([f, x]) => x !== undefined && f !== 'seeds');
      if (!changed.length) continue;
      throw new ConfigError(
        `final.${changed[0]![0]}`,
        changed[0]![1],
        `\`resume\` ${studyName}: \`final.${changed[0]![0]}\` cannot change when a study resumes (only \`final.seeds\` may rise); start a new study to train differently`,
      );
    }
    throw new ConfigError(
      k,
      v,
      `\`resume\` ${studyName}: '${k}' cannot change when a study resumes (it keeps the configuration it was created with: ` +
        `${k} = ${JSON.stringify((stored as unknown as Record<string, unknown>)[k] ?? null)}); start a new study to search differently`,
    );
  }
  if (flags.trials !== undefined && flags.trials < stored.trials) {
    throw new ConfigError(
      'trials',
      flags.trials,
      `\`resume\` ${studyName} \`trials\` ${flags.trials}: the study's target is ${stored.trials} complete trials, and a resume ` +
        `only raises it (\`trials\` ${stored.trials} or more; without \`trials\` it continues to ${stored.trials}); to end it sooner, stop the search: finished trials are kept`,
    );
  }
  const seeds = flags.final?.seeds;
  if (seeds !== undefined) {
    const before = stored.final?.seeds ?? 1;
    if (!stored.final)
      throw new ConfigError(
        'final.seeds',
        seeds,
        `\`resume\` ${studyName} \`final.seeds\` ${seeds}: the study has no final training (\`final.epochs\`), so there is nothing to train again; start a new study with it`,
      );
    if (seeds < before)
      throw new ConfigError(
        'final.seeds',
        seeds,
        `\`resume\` ${studyName} \`final.seeds\` ${seeds}: the study trains each final network ${before} times, and a resume only raises it (its runs are kept)`,
      );
  }
  const t = flags.train ?? {};
  for (const [k, v] of Object.entries(t)) {
    if (v !== undefined && k !== 'threads')
      throw new ConfigError(
        `train.${k}`,
        v,
        `\`resume\` ${studyName}: \`train.${k}\` cannot change when a study resumes; start a new study to search differently`,
      );
  }
  return {
    ...stored,
    trials: flags.trials ?? stored.trials,
    maxFailed: flags.maxFailed ?? stored.maxFailed,
    evalDelayMs: flags.evalDelayMs ?? stored.evalDelayMs,
    train: { ...stored.train, threads: t.threads ?? stored.train.threads },
    ...(stored.final && seeds !== undefined ? { final: { ...stored.final, seeds } } : {}),
  };
}

/** The study a configuration starts: its identity fields from the config, the config itself stored whole. */
export function studyInit(name: string, config: SearchConfig): StudyInit {
  return {
    name,
    strategy: config.strategy,
    space: config.space,
    evaluator: config.evaluator,
    data: config.data,
    objective: config.objective,
    constraints: config.constraints.map((c) => parseConstraint(c).text),
    seed: config.seed,
    config: config as unknown as Record<string, unknown>,
    files: config.files ?? null,
  };
}
