// Studies and trials as plain records (what the store reads and writes). A study is one search:
// its space, evaluator, objective, constraints, strategy and seed; a trial is one evaluated
// architecture. Optuna's model: a study holds handles, the store holds the data.
import type { ArchCosts } from '../cost/costModel';

export type TrialState = 'running' | 'complete' | 'failed' | 'pruned';

export type Direction = 'maximize' | 'minimize';

export interface Objective {
  /** A metric the evaluator reports ('accuracy' = validation accuracy for training). */
  metric: string;
  direction: Direction;
}

/** What a study is, as created. `config` is the full resolved configuration (JSON). */
export interface StudyInit {
  name: string;
  strategy: string;
  /** How to find the space again: a built-in name or a file path. */
  space: string;
  /** 'train', 'synthetic:SEED' or 'table:FILE'. */
  evaluator: string;
  /** The data set of a training evaluator ('synthetic:2', 'fashion-mnist'), else null. */
  data: string | null;
  objective: Objective;
  /** Resource constraints as written, e.g. 'flops<=300M'. */
  constraints: string[];
  seed: number;
  config: Record<string, unknown>;
  /**
   * Where the study keeps its files (checkpoints, supernets, predictor weights): 'store' (in the
   * store itself), an absolute folder every worker mounts, or 'beside' (SQLite: beside the store).
   * Default: 'store' on PostgreSQL, 'beside' on SQLite.
   */
  files?: string | null;
}

export interface StudyRecord extends StudyInit {
  id: number;
  /** ms since the epoch. */
  createdAt: number;
}

export interface TrialRecord {
  id: number;
  studyId: number;
  /** 0, 1, 2, ... per study, in creation order. */
  number: number;
  state: TrialState;
  /** Canonical compact architecture string (of `space` when set, else of the study's space). */
  arch: string;
  /** The recipe it was evaluated with (the evaluator's, with any searched fields applied), or null. */
  recipe: Record<string, unknown> | null;
  /** The recipe fields the strategy proposed (joint architecture-recipe searches), or null. */
  searchedRecipe: Record<string, unknown> | null;
  /** The space it was drawn from when not the study's own (e.g. a round of search-space evolution), or null. */
  space: string | null;
  /** Who proposed it: 'random', 'mutation', or a strategy's own tag. */
  source: string | null;
  costs: ArchCosts;
  /** accuracy (validation), testAcc, valLoss, ... */
  metrics: Record<string, number>;
  /** One record per finished epoch (training evaluators). */
  epochs: Array<Record<string, number>>;
  startedAt: number;
  finishedAt: number | null;
  heartbeatAt: number | null;
  /** The process that ran it: 'host:pid:token'. */
  worker: string | null;
  error: string | null;
}

/**
 * A trial's identity: its architecture, the recipe fields searched with it and the space it was
 * drawn from. Two trials with equal keys evaluate the same thing; for a plain architecture search
 * the key is the architecture string itself.
 */
export function trialKey(t: {
  arch: string;
  searchedRecipe?: Record<string, unknown> | null;
  space?: string | null;
}): string {
  const recipe = t.searchedRecipe ? ` recipe ${canonicalJson(t.searchedRecipe)}` : '';
  const space = t.space ? ` in ${t.space}` : '';
  return `${t.arch}${recipe}${space}`;
}

/** JSON with object keys sorted, so equal values give equal text. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x,
  );
}

/** The error of a running trial whose process ended before it finished. */
export const INTERRUPTED_ERROR = 'interrupted (process ended)';

/** True for trials failed because their process ended (they are re-asked, not part of the history). */
export function isInterrupted(t: Pick<TrialRecord, 'state' | 'error'>): boolean {
  return t.state === 'failed' && t.error !== null && t.error.startsWith('interrupted');
}

/** Settled trials: finished for a reason of their own (complete, failed, pruned), not interrupted. */
export function isSettled(t: Pick<TrialRecord, 'state' | 'error'>): boolean {
  return t.state !== 'running' && !isInterrupted(t);
}

export interface ArtifactRecord {
  id: number;
  studyId: number;
  trialId: number | null;
  kind: string;
  /** Relative to the study directory, or absolute. */
  path: string;
  createdAt: number;
}

export interface StudySummary {
  study: StudyRecord;
  counts: Record<TrialState, number>;
  /** Of which failed because their process ended. */
  interrupted: number;
  best: TrialRecord | null;
}
