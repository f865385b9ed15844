// Evaluators by their spec (a study's `evaluator`): 'train' (with `data`), 'synthetic[:SEED]', 'table:FILE'.
import * as path from 'node:path';
import type { Space } from '../space/types';
import { parseSeed } from '../random/seeds';
import type { Evaluator } from './evaluator';
import { createSyntheticEvaluator } from './synthetic';
import { createTabularEvaluator } from './tabular';
import { createTrainingEvaluator, type TrainingEvaluatorOptions } from './training';
import { FieldError } from '../io/fieldError';

export * from './evaluator';
export { createSyntheticEvaluator, syntheticFunction } from './synthetic';
export { createTabularEvaluator, loadTable } from './tabular';
export { createTrainingEvaluator } from './training';

export const EVALUATOR_FORMS = ['train (with `data` D)', 'synthetic[:SEED]', 'table:FILE'];

export type EvaluatorSpec = { kind: 'train' } | { kind: 'synthetic'; seed: number } | { kind: 'table'; file: string };

/** Parses an evaluator spec; table paths are resolved against `base` (default: the working directory). */
export function parseEvaluatorSpec(spec: string, base = process.cwd()): EvaluatorSpec {
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  const arg = colon < 0 ? '' : spec.slice(colon + 1);
  switch (kind) {
    case 'train':
    case 'training':
      if (arg)
        throw new FieldError(
          'evaluator',
          spec,
          `evaluator '${spec}': give the data set as \`data\` (or 'data:' in the config), e.g. \`data\` ${arg}`,
        );
      return { kind: 'train' };
    case 'synthetic': {
      const seed = arg === '' ? 0 : parseSeed(arg, `evaluator '${spec}': the seed`);
      return { kind: 'synthetic', seed };
    }
    case 'table':
      if (!arg)
        throw new FieldError('evaluator', spec, `evaluator '${spec}': name the table file, e.g. table:bench.json`);
      return { kind: 'table', file: path.resolve(base, arg) };
    default:
      throw new FieldError(
        'evaluator',
        spec,
        `unknown evaluator '${spec}' (evaluators: ${EVALUATOR_FORMS.join(', ')})`,
      );
  }
}

export function formatEvaluatorSpec(s: EvaluatorSpec): string {
  return s.kind === 'train' ? 'train' : s.kind === 'synthetic' ? `synthetic:${s.seed}` : `table:${s.file}`;
}

export interface EvaluatorSettings {
  space: Space;
  spaceRef: string;
  /** Training only. */
  data?: string;
  train?: Omit<TrainingEvaluatorOptions, 'space' | 'spaceRef' | 'data'>;
  /** Tabular only: study metric -> table field. */
  metrics?: Record<string, string>;
  /** Synthetic only: sleep per trial (tests). */
  delayMs?: number;
}

export function createEvaluator(spec: EvaluatorSpec, s: EvaluatorSettings): Evaluator {
  switch (spec.kind) {
    case 'train':
      if (!s.data)
        throw new FieldError(
          'data',
          s.data,
          'the training evaluator needs a data set: give `data` D (fashion-mnist[:DIR], mnist[:DIR], cifar10:DIR, synthetic[:SEED])',
        );
      return createTrainingEvaluator({ space: s.space, spaceRef: s.spaceRef, data: s.data, ...(s.train ?? {}) });
    case 'synthetic':
      return createSyntheticEvaluator(s.space, { seed: spec.seed, delayMs: s.delayMs });
    case 'table':
      return createTabularEvaluator(s.space, spec.file, { metrics: s.metrics });
  }
}
